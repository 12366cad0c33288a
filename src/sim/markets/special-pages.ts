import type { SimDay, SimMarket } from '../world/index.ts';
import { dayToIsoDate } from '../world/index.ts';
import { h, page } from './html.ts';

const OPERATIONS = ['Bayonet', 'Lighthouse', 'Ironclad', 'Nightfall', 'Dark Tide', 'Harbour', 'Kingfisher', 'Slipstream'];

function operationName(market: SimMarket): string {
  let n = 0;
  for (const c of market.serverSeed) n = (n * 31 + c.charCodeAt(0)) >>> 0;
  return OPERATIONS[n % OPERATIONS.length] ?? 'Bayonet';
}

/** The banner a seized market shows on every URL after its takedown (agencies are fictional). */
export function seizurePage(market: SimMarket): string {
  const taken = market.closeDay === undefined ? '' : dayToIsoDate(market.closeDay + 1);
  return page({
    title: 'THIS HIDDEN SITE HAS BEEN SEIZED',
    body: `<div class="seizure-banner" style="text-align:center">
<h1>THIS HIDDEN SITE HAS BEEN SEIZED</h1>
<p>${h(market.name)} (${h(market.onion)}) has been seized on ${h(taken)} as part of <strong>Operation ${h(operationName(market))}</strong>,
a coordinated law enforcement action by the (simulated) Joint Dark Web Task Force, the European Simulated Crime Centre and partner agencies.</p>
<p>The servers and databases of this marketplace are in the hands of law enforcement. Vendors and buyers of this
marketplace are being identified.</p>
<p class="notice">DarkPatrol training simulation — fictional agencies and data.</p>
</div>`,
  });
}

export function maintenancePage(market: SimMarket): string {
  return page({
    title: `${market.name} - maintenance`,
    body: `<h1>503 Service Temporarily Unavailable</h1>
<p>${h(market.name)} is down for wallet maintenance. Withdrawals are temporarily disabled. We will be back shortly.</p>`,
  });
}

export function errorPage(status: 502 | 503 | 400 | 403 | 404 | 405 | 413 | 429, day: SimDay, text: string): string {
  return page({
    title: `${status} ${text}`,
    body: `<center><h1>${status} ${h(text)}</h1></center>\n<hr><center>nginx</center>\n<!-- ${dayToIsoDate(day)} -->`,
  });
}
