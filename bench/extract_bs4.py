#!/usr/bin/python3
"""Reference point for bench/extract.bench.ts: the same Agora field extraction with BeautifulSoup + lxml
(Debian python3-bs4, python3-lxml), over the same fixture pages, the same number of rounds.
Prints one JSON line: pages/s and MB/s, plus a field count so both sides can be checked to do the same work.

    /usr/bin/python3 bench/extract_bs4.py [--rounds 20] [--dir ../shared/fixtures/agora-2014-04-06]
"""
import argparse, json, os, re, sys, time
from bs4 import BeautifulSoup

PRICE = re.compile(r'(\d[\d.,]*\s*(?:BTC|USD|EUR))')
LISTING_ID = re.compile(r'/p/([A-Za-z0-9]+)')
VENDOR = re.compile(r'/vendor/([^/?#]+)')
RATING = re.compile(r'(~)?\s*(\d+(?:\.\d+)?)\s*/\s*(\d+)')
DEALS = re.compile(r'(\d+)\s*~\s*(\d+)\s*deals')
AGO = re.compile(r'^\s*(\d+\s+\w+\s+ago)\s*$')


def text(el):
    return ' '.join(el.get_text(' ').split()) if el is not None else None


def ships(cell):
    t = cell.get_text('\n') if cell is not None else ''
    f = re.search(r'From:\s*([^\n]+)', t)
    to = re.search(r'To:\s*([^\n]+)', t)
    return (f.group(1).strip() if f else None, [s.strip() for s in to.group(1).split(',')] if to else [])


def feedback(soup):
    out = []
    for tr in soup.select('.embedded-feedback-list tr'):
        tds = tr.find_all('td')
        if not tds:
            continue
        r = RATING.search(text(tds[0]) or '')
        link = tr.select_one('a[href*="/p/"]')
        date = next((AGO.match(td.get_text()).group(1) for td in tds if AGO.match(td.get_text())), None)
        out.append({'rating': float(r.group(2)) if r else None, 'text': text(tds[1]) if len(tds) > 1 else None,
                    'listing': LISTING_ID.search(link['href']).group(1) if link else None, 'date': date})
    return out


def rows(soup):
    out = []
    for tr in soup.select('tr.products-list-item'):
        a = tr.select_one('a[href*="/p/"]')
        price = next((PRICE.search(td.get_text()).group(1) for td in tr.find_all('td') if 'column-name' not in (td.get('class') or []) and PRICE.search(td.get_text())), None)
        v = tr.select_one('a.gen-user-link[href*="/vendor/"]')
        shipcell = next((td for td in tr.find_all('td') if 'From:' in td.get_text()), None)
        f, t = ships(shipcell)
        out.append({'id': LISTING_ID.search(a['href']).group(1), 'title': text(a), 'price': price,
                    'vendor': VENDOR.search(v['href']).group(1) if v else None, 'from': f, 'to': t})
    return out


def extract(html):
    soup = BeautifulSoup(html, 'lxml')
    sp = soup.select_one('#single-product')
    if sp is not None:
        v = sp.select_one('a.gen-user-link[href*="/vendor/"]')
        f, t = ships(sp.select_one('.product-page-ships'))
        buy = sp.select_one('a[href*="/buy"]')
        stock = re.search(r'\((\d+) left\)', buy.get_text()) if buy else None
        ratings = sp.select_one('.gen-user-ratings')
        return {'type': 'listing', 'title': text(sp.find('h1')), 'price': text(sp.select_one('.product-page-price')),
                'vendor': VENDOR.search(v['href']).group(1) if v else None, 'from': f, 'to': t,
                'stock': int(stock.group(1)) if stock else None, 'rating': text(ratings),
                'category': [text(a) for a in soup.select('#top-navigation .topnav-element a')], 'feedback': feedback(soup)}
    if soup.select_one('.vendorbio-description') is not None:
        desc = soup.select_one('.vendorbio-description')
        pgp = [el.get_text('\n') for el in desc.select('.pgptoken')]
        return {'type': 'vendor', 'handle': text(soup.select_one('i.fa-user + strong')), 'rating': text(soup.select_one('i.fa-user ~ .gen-user-ratings')),
                'profile': desc.get_text('\n'), 'pgp': pgp, 'listings': rows(soup), 'feedback': feedback(soup)}
    if soup.select_one('#product-index') is not None:
        out = []
        for tile in soup.select('.product-index-floater'):
            a = tile.select_one('a[href*="/p/"]')
            out.append({'id': LISTING_ID.search(a['href']).group(1), 'title': text(tile.select_one('.product-index-floater-caption')),
                        'price': text(tile.select_one('.product-index-floater-price'))})
        return {'type': 'index', 'listings': out}
    return {'type': 'category', 'breadcrumbs': [text(a) for a in soup.select('#top-navigation .topnav-element a')], 'listings': rows(soup)}


# ---- the same extraction with lxml.html and compiled XPath (no BeautifulSoup), the "lxml" peer ----
from lxml import etree, html as lxml_html


def _cls(name):
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


X = {k: etree.XPath(v) for k, v in {
    'single': '//*[@id="single-product"]',
    'vendor_link': f'.//a[{_cls("gen-user-link")} and contains(@href, "/vendor/")]',
    'ships': f'.//*[{_cls("product-page-ships")}]',
    'buy': './/a[contains(@href, "/buy")]',
    'ratings': f'.//*[{_cls("gen-user-ratings")}]',
    'h1': './/h1',
    'price': f'.//*[{_cls("product-page-price")}]',
    'crumbs': f'//*[@id="top-navigation"]//*[{_cls("topnav-element")}]//a',
    'fb_rows': f'//*[{_cls("embedded-feedback-list")}]//tr',
    'td': './td',
    'plink': './/a[contains(@href, "/p/")]',
    'bio': f'//*[{_cls("vendorbio-description")}]',
    'pgp': f'.//*[{_cls("pgptoken")}]',
    'handle': f'//i[{_cls("fa-user")}]/following-sibling::*[1][self::strong]',
    'vrating': f'//i[{_cls("fa-user")}]/following-sibling::*[{_cls("gen-user-ratings")}]',
    'index': '//*[@id="product-index"]',
    'floaters': f'//*[{_cls("product-index-floater")}]',
    'caption': f'.//*[{_cls("product-index-floater-caption")}]',
    'fprice': f'.//*[{_cls("product-index-floater-price")}]',
    'rows': f'//tr[{_cls("products-list-item")}]',
}.items()}


def ltext(el):
    return ' '.join(' '.join(el.itertext()).split()) if el is not None else None


def lines(el):
    return '\n'.join(el.itertext()) if el is not None else ''


def first(key, el):
    r = X[key](el)
    return r[0] if r else None


def lships(cell):
    t = lines(cell)
    f = re.search(r'From:\s*([^\n]+)', t)
    to = re.search(r'To:\s*([^\n]+)', t)
    return (f.group(1).strip() if f else None, [s.strip() for s in to.group(1).split(',')] if to else [])


def lfeedback(doc):
    out = []
    for tr in X['fb_rows'](doc):
        tds = X['td'](tr)
        if not tds:
            continue
        r = RATING.search(ltext(tds[0]) or '')
        link = first('plink', tr)
        date = next((AGO.match(td.text_content()).group(1) for td in tds if AGO.match(td.text_content())), None)
        out.append({'rating': float(r.group(2)) if r else None, 'text': ltext(tds[1]) if len(tds) > 1 else None,
                    'listing': LISTING_ID.search(link.get('href')).group(1) if link is not None else None, 'date': date})
    return out


def lrows(doc):
    out = []
    for tr in X['rows'](doc):
        a = first('plink', tr)
        tds = X['td'](tr)
        price = next((PRICE.search(td.text_content()).group(1) for td in tds if 'column-name' not in (td.get('class') or '').split() and PRICE.search(td.text_content())), None)
        v = first('vendor_link', tr)
        shipcell = next((td for td in tds if 'From:' in td.text_content()), None)
        f, t = lships(shipcell)
        out.append({'id': LISTING_ID.search(a.get('href')).group(1), 'title': ltext(a), 'price': price,
                    'vendor': VENDOR.search(v.get('href')).group(1) if v is not None else None, 'from': f, 'to': t})
    return out


def extract_lxml(data):
    doc = lxml_html.document_fromstring(data)
    sp = first('single', doc)
    if sp is not None:
        v = first('vendor_link', sp)
        f, t = lships(first('ships', sp))
        buy = first('buy', sp)
        stock = re.search(r'\((\d+) left\)', buy.text_content()) if buy is not None else None
        return {'type': 'listing', 'title': ltext(first('h1', sp)), 'price': ltext(first('price', sp)),
                'vendor': VENDOR.search(v.get('href')).group(1) if v is not None else None, 'from': f, 'to': t,
                'stock': int(stock.group(1)) if stock else None, 'rating': ltext(first('ratings', sp)),
                'category': [ltext(a) for a in X['crumbs'](doc)], 'feedback': lfeedback(doc)}
    desc = first('bio', doc)
    if desc is not None:
        return {'type': 'vendor', 'handle': ltext(first('handle', doc)), 'rating': ltext(first('vrating', doc)),
                'profile': lines(desc), 'pgp': [lines(el) for el in X['pgp'](desc)], 'listings': lrows(doc), 'feedback': lfeedback(doc)}
    if first('index', doc) is not None:
        out = []
        for tile in X['floaters'](doc):
            a = first('plink', tile)
            out.append({'id': LISTING_ID.search(a.get('href')).group(1), 'title': ltext(first('caption', tile)),
                        'price': ltext(first('fprice', tile))})
        return {'type': 'index', 'listings': out}
    return {'type': 'category', 'breadcrumbs': [ltext(a) for a in X['crumbs'](doc)], 'listings': lrows(doc)}


def count_fields(x):
    if isinstance(x, dict):
        return sum(count_fields(v) for v in x.values())
    if isinstance(x, list):
        return sum(count_fields(v) for v in x)
    return 0 if x is None else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rounds', type=int, default=20)
    ap.add_argument('--dir', default='../shared/fixtures/agora-2014-04-06')
    ap.add_argument('--engine', choices=('bs4', 'lxml'), default='bs4')
    a = ap.parse_args()
    fn = extract if a.engine == 'bs4' else extract_lxml
    if a.rounds <= 0:
        sys.exit('--rounds must be positive')
    pages = []
    for sub in ('p', 'cat', 'vendor'):
        for name in sorted(os.listdir(os.path.join(a.dir, sub))):
            with open(os.path.join(a.dir, sub, name), 'rb') as fh:
                pages.append(fh.read())
    total_bytes = sum(len(p) for p in pages)
    fields = sum(count_fields(fn(p)) for p in pages)  # warm-up and work check
    t0 = time.perf_counter()
    for _ in range(a.rounds):
        for p in pages:
            fn(p)
    secs = time.perf_counter() - t0
    n = a.rounds * len(pages)
    import bs4, lxml.etree
    lib = f'bs4 {bs4.__version__} + lxml' if a.engine == 'bs4' else 'lxml.html + compiled XPath'
    print(json.dumps({'bench': 'extract', 'engine': f'python{sys.version_info.major}.{sys.version_info.minor} {lib} {".".join(map(str, lxml.etree.LXML_VERSION))}',
                      'pages': n, 'seconds': round(secs, 3), 'pagesPerSecond': round(n / secs, 1),
                      'mbPerSecond': round(total_bytes * a.rounds / secs / 1e6, 2), 'fieldsPerRound': fields}))


if __name__ == '__main__':
    main()
