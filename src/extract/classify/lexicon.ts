import type { SubstanceClass } from '../../domain/substance.ts';

/**
 * Substance lexicon: canonical name → class and the spellings seen in listing titles. Patterns are matched
 * case-insensitively on word boundaries after separators are normalised ("Acetyl-Fentanyl" ≈ "acetyl fentanyl").
 * Order matters only for equal-position matches: the longer alias wins, so "carfentanil" beats "fentanyl".
 */
export interface SubstanceEntry {
  name: string;
  class: SubstanceClass;
  aliases: string[];
  /** Aliases that are ordinary words too ("ice", "speed"): matched, but with lower confidence. */
  weakAliases?: string[];
}

const fentanyls: SubstanceEntry[] = [
  ['carfentanil', ['carfentanil', 'carfentanyl', 'carfent']],
  ['acetylfentanyl', ['acetylfentanyl', 'acetyl fentanyl', 'acetylfentanil', 'acetyl fent']],
  ['furanylfentanyl', ['furanylfentanyl', 'furanyl fentanyl', 'fu f', 'furanyl f']],
  ['butyrfentanyl', ['butyrfentanyl', 'butyr fentanyl', 'butyrylfentanyl', 'butyryl fentanyl']],
  ['acrylfentanyl', ['acrylfentanyl', 'acryl fentanyl', 'acryloylfentanyl']],
  ['cyclopropylfentanyl', ['cyclopropylfentanyl', 'cyclopropyl fentanyl']],
  ['methoxyacetylfentanyl', ['methoxyacetylfentanyl', 'methoxyacetyl fentanyl']],
  ['ocfentanil', ['ocfentanil', 'ocfentanyl']],
  ['para-fluorofentanyl', ['para fluorofentanyl', 'p fluorofentanyl', '4 fluorofentanyl', 'pff', '4f fentanyl', 'parafluorofentanyl']],
  ['3-methylfentanyl', ['3 methylfentanyl', '3 methyl fentanyl', '3 mf']],
  ['alpha-methylfentanyl', ['alpha methylfentanyl', 'a methylfentanyl', 'alpha methyl fentanyl', 'china white fentanyl']],
  ['sufentanil', ['sufentanil', 'sufentanyl']],
  ['remifentanil', ['remifentanil']],
  ['alfentanil', ['alfentanil']],
  ['valerylfentanyl', ['valerylfentanyl', 'valeryl fentanyl']],
  ['fentanyl', ['fentanyl', 'fentanil', 'fentanyl hcl', 'fent', 'fenty', 'duragesic', 'actiq']],
].map(([name, aliases]) => ({ name: name as string, class: 'opioid' as const, aliases: aliases as string[] }));

const nitazenes: SubstanceEntry[] = [
  ['isotonitazene', ['isotonitazene', 'isonitazene', 'iso nitazene', 'isotonitazine']],
  ['metonitazene', ['metonitazene']],
  ['protonitazene', ['protonitazene']],
  ['etonitazene', ['etonitazene']],
  ['butonitazene', ['butonitazene']],
  ['flunitazene', ['flunitazene']],
  ['metodesnitazene', ['metodesnitazene']],
  ['etodesnitazene', ['etodesnitazene', 'etazene']],
  ['n-pyrrolidino etonitazene', ['n pyrrolidino etonitazene', 'etonitazepyne', 'pyrrolidino etonitazene']],
  ['protonitazepyne', ['protonitazepyne', 'n pyrrolidino protonitazene']],
  ['n-desethyl isotonitazene', ['n desethyl isotonitazene']],
  ['nitazene', ['nitazene', 'nitazenes']],
].map(([name, aliases]) => ({ name: name as string, class: 'opioid' as const, aliases: aliases as string[] }));

type Row = [name: string, cls: SubstanceClass, aliases: string[], weak?: string[]];

const rows: Row[] = [
  // opioids
  ['heroin', 'opioid', ['heroin', 'heroine', 'heroïne', 'black tar', 'diacetylmorphine', 'diamorphine', 'afghan h', 'brown sugar heroin', 'no 4 heroin', '4 heroin'], ['smack', 'dope h']],
  ['oxycodone', 'opioid', ['oxycodone', 'oxycontin', 'oxycodon', 'roxicodone', 'percocet', 'endocet', 'oxynorm', 'oxys', 'oxy', 'roxy', 'roxies', 'm30', 'm 30', 'a215']],
  ['hydrocodone', 'opioid', ['hydrocodone', 'vicodin', 'norco', 'lortab']],
  ['hydromorphone', 'opioid', ['hydromorphone', 'dilaudid']],
  ['oxymorphone', 'opioid', ['oxymorphone', 'opana']],
  ['morphine', 'opioid', ['morphine', 'morphin', 'ms contin', 'mst continus']],
  ['codeine', 'opioid', ['codeine', 'codein', 'purple drank', 'promethazine codeine'], ['lean']],
  ['tramadol', 'opioid', ['tramadol', 'ultram', 'tramal']],
  ['tapentadol', 'opioid', ['tapentadol', 'nucynta', 'palexia']],
  ['methadone', 'opioid', ['methadone', 'methadon']],
  ['buprenorphine', 'opioid', ['buprenorphine', 'subutex', 'suboxone', 'bupe'], ['subs']],
  ['opium', 'opioid', ['opium', 'raw opium', 'poppy tea']],
  ['u-47700', 'opioid', ['u 47700', 'u47700'], ['u4']],
  ['ah-7921', 'opioid', ['ah 7921']],
  ['mt-45', 'opioid', ['mt 45']],
  ['brorphine', 'opioid', ['brorphine']],
  ['kratom', 'other', ['kratom', 'mitragyna']],
  // stimulants
  ['cocaine', 'stimulant', ['cocaine', 'cocain', 'kokain', 'cocaina', 'coke', 'crack', 'crack cocaine', 'fishscale', 'fish scale', 'cocaine hcl', 'peruvian flake']],
  ['methamphetamine', 'stimulant', ['methamphetamine', 'meth', 'crystal meth', 'methamfetamine', 'crystal methamphetamine', 'shards', 'd meth', 'desoxyn'], ['ice', 'glass', 'tina']],
  ['amphetamine', 'stimulant', ['amphetamine', 'amfetamine', 'amphetamin', 'amph', 'speed paste', 'amphetamine sulphate', 'amphetamine sulfate', 'dexedrine', 'dextroamphetamine'], ['speed', 'paste']],
  ['adderall', 'stimulant', ['adderall', 'adderal', 'addy', 'addies']],
  ['lisdexamfetamine', 'stimulant', ['vyvanse', 'lisdexamfetamine', 'elvanse']],
  ['methylphenidate', 'stimulant', ['methylphenidate', 'ritalin', 'concerta', 'medikinet']],
  // empathogens
  ['mdma', 'empathogen', ['mdma', 'xtc', 'ecstasy', 'ecstacy', 'extasy', 'mdma crystal', 'mdma crystals', 'champagne mdma'], ['molly', 'mandy', 'md']],
  ['mda', 'empathogen', ['mda', 'sassafras'], ['sass']],
  ['mdea', 'empathogen', ['mdea', 'mde']],
  // cannabis
  [
    'cannabis',
    'cannabis',
    [
      'cannabis', 'marijuana', 'marihuana', 'weed', 'kush', 'haze', 'skunk', 'sativa', 'indica', 'hybrid strain', 'buds', 'bud', 'ganja', 'hash', 'hashish', 'charas', 'hasch',
      'thc', 'wax', 'shatter', 'budder', 'dabs', 'rso', 'honey oil', 'cannabis oil', 'edibles', 'edible', 'cbd', 'pre roll', 'pre rolls', 'joint', 'joints', 'moonrock', 'moon rocks',
      'blue dream', 'white widow', 'amnesia', 'ak47', 'ak 47', 'ak48', 'ak 48', 'og kush', 'girl scout cookies', 'gsc', 'gorilla glue', 'pineapple express', 'northern lights',
      'jack herer', 'sour diesel', 'purple haze', 'lemon haze', 'gelato', 'zkittlez', 'wedding cake', 'runtz', 'maui wowie',
      'trainwreck', 'granddaddy purple', 'gdp', 'bubba', 'afghan hash', 'moroccan hash', 'pollen', 'kief', 'feminized seeds', 'cannabis seeds',
    ],
    ['seeds', 'top shelf', 'greenhouse', 'outdoor', 'indoor', 'cheese', 'diesel', 'grapefruit', 'pink lemonade'],
  ],
  // psychedelics
  ['lsd', 'psychedelic', ['lsd', 'lsd 25', 'lsd25', 'blotter', 'blotters', 'needlepoint', 'hofmann'], ['acid', 'lucy']],
  ['1p-lsd', 'psychedelic', ['1p lsd', '1plsd', '1cp lsd', '1v lsd', '1d lsd']],
  ['al-lad', 'psychedelic', ['al lad', 'allad']],
  ['psilocybin', 'psychedelic', ['psilocybin', 'psilocybe', 'psilocin', 'magic mushrooms', 'mushrooms', 'mushroom', 'shrooms', 'cubensis', 'golden teacher', 'golden teachers', 'penis envy', 'magic truffles', 'truffles', 'spores']],
  ['dmt', 'psychedelic', ['dmt', 'n n dmt', 'changa', 'ayahuasca', 'mimosa hostilis', 'mhrb']],
  ['5-meo-dmt', 'psychedelic', ['5 meo dmt', '5meo dmt', '5 meo']],
  ['mescaline', 'psychedelic', ['mescaline', 'mescalin', 'peyote', 'san pedro', 'trichocereus']],
  ['escaline', 'psychedelic', ['escaline']],
  ['allylescaline', 'psychedelic', ['allylescaline']],
  ['methallylescaline', 'psychedelic', ['methallylescaline']],
  ['2c-b', 'psychedelic', ['2c b', '2cb'], ['nexus']],
  ['2c-i', 'psychedelic', ['2c i', '2ci']],
  ['2c-e', 'psychedelic', ['2c e', '2ce']],
  ['2c-t-7', 'psychedelic', ['2c t 7', '2ct7']],
  ['2c-c', 'psychedelic', ['2c c']],
  ['25i-nbome', 'psychedelic', ['25i nbome', '25i']],
  ['25b-nbome', 'psychedelic', ['25b nbome', '25b']],
  ['25c-nbome', 'psychedelic', ['25c nbome', '25c']],
  ['nbome', 'psychedelic', ['nbome', 'n bome']],
  ['dob', 'psychedelic', [], ['dob']],
  ['doc', 'psychedelic', [], ['doc']],
  ['salvia', 'psychedelic', ['salvia', 'salvia divinorum', 'salvinorin']],
  ['lsa', 'psychedelic', ['lsa', 'hawaiian baby woodrose', 'morning glory seeds']],
  ['ibogaine', 'psychedelic', ['ibogaine', 'iboga']],
  // dissociatives
  ['ketamine', 'dissociative', ['ketamine', 'ketamin', 'ket', 'special k', 'ketamine hcl', 'ketalar', 'k powder']],
  ['methoxetamine', 'dissociative', ['methoxetamine', 'mxe']],
  ['pcp', 'dissociative', ['pcp', 'phencyclidine', 'angel dust']],
  ['3-meo-pcp', 'dissociative', ['3 meo pcp', '3meo pcp']],
  ['3-ho-pcp', 'dissociative', ['3 ho pcp']],
  ['2-fdck', 'dissociative', ['2 fdck', '2fdck', '2 fluorodeschloroketamine']],
  ['deschloroketamine', 'dissociative', ['deschloroketamine', 'dck']],
  ['dxm', 'dissociative', ['dxm', 'dextromethorphan']],
  ['nitrous oxide', 'dissociative', ['nitrous oxide', 'nitrous', 'n2o', 'laughing gas']],
  ['ghb', 'other', ['ghb', 'gbl', '1 4 butanediol', 'liquid ecstasy']],
  // benzodiazepines
  ['alprazolam', 'benzodiazepine', ['alprazolam', 'xanax', 'xanor', 'xans', 'xannies', 'xanny', 'xanax bars', 'greenies', 'yellow bars', 'school bus'], ['bars']],
  ['diazepam', 'benzodiazepine', ['diazepam', 'valium', 'valiums', 'vals']],
  ['clonazepam', 'benzodiazepine', ['clonazepam', 'klonopin', 'rivotril', 'klonnies']],
  ['lorazepam', 'benzodiazepine', ['lorazepam', 'ativan', 'tavor']],
  ['temazepam', 'benzodiazepine', ['temazepam', 'restoril', 'normison']],
  ['nitrazepam', 'benzodiazepine', ['nitrazepam', 'mogadon']],
  ['flunitrazepam', 'benzodiazepine', ['flunitrazepam', 'rohypnol', 'roofies']],
  ['bromazepam', 'benzodiazepine', ['bromazepam', 'lexotan', 'lexomil']],
  ['oxazepam', 'benzodiazepine', ['oxazepam', 'seresta']],
  ['chlordiazepoxide', 'benzodiazepine', ['chlordiazepoxide', 'librium']],
  ['midazolam', 'benzodiazepine', ['midazolam', 'dormicum']],
  ['etizolam', 'benzodiazepine', ['etizolam', 'etilaam', 'etizest']],
  ['flualprazolam', 'benzodiazepine', ['flualprazolam']],
  ['clonazolam', 'benzodiazepine', ['clonazolam']],
  ['flubromazolam', 'benzodiazepine', ['flubromazolam']],
  ['bromazolam', 'benzodiazepine', ['bromazolam']],
  ['diclazepam', 'benzodiazepine', ['diclazepam']],
  ['pyrazolam', 'benzodiazepine', ['pyrazolam']],
  ['deschloroetizolam', 'benzodiazepine', ['deschloroetizolam']],
  // NPS (cathinones, synthetic cannabinoids, other research chemicals)
  ['mephedrone', 'nps', ['mephedrone', '4 mmc', '4mmc', 'meow meow', 'm cat', 'mcat']],
  ['3-mmc', 'nps', ['3 mmc', '3mmc', 'metaphedrone']],
  ['3-cmc', 'nps', ['3 cmc', '3cmc', 'clophedrone']],
  ['4-cmc', 'nps', ['4 cmc', '4cmc', 'clephedrone']],
  ['4-mec', 'nps', ['4 mec', '4mec']],
  ['methylone', 'nps', ['methylone', 'bk mdma', 'bkmdma']],
  ['ethylone', 'nps', ['ethylone', 'bk mdea']],
  ['butylone', 'nps', ['butylone', 'bk mbdb']],
  ['pentylone', 'nps', ['pentylone']],
  ['n-ethylpentylone', 'nps', ['n ethylpentylone', 'ephylone', 'n ethyl pentylone']],
  ['eutylone', 'nps', ['eutylone']],
  ['n-ethylhexedrone', 'nps', ['n ethylhexedrone', 'hexen', 'nehp']],
  ['mdpv', 'nps', ['mdpv', 'monkey dust']],
  ['alpha-pvp', 'nps', ['alpha pvp', 'a pvp', 'apvp', 'flakka', 'a pvp crystal']],
  ['4-fa', 'nps', ['4 fa', '4fa', '4 fmp', '4 fluoroamphetamine', '4 fluoro amphetamine']],
  ['ethylphenidate', 'nps', ['ethylphenidate']],
  ['ab-fubinaca', 'nps', ['ab fubinaca']],
  ['5f-adb', 'nps', ['5f adb', '5f mdmb pica', '5f mdmb pinaca']],
  ['mdmb-4en-pinaca', 'nps', ['mdmb 4en pinaca', '4f mdmb binaca']],
  ['adb-butinaca', 'nps', ['adb butinaca']],
  ['jwh-018', 'nps', ['jwh 018', 'jwh018', 'jwh']],
  ['synthetic cannabinoid', 'nps', ['spice', 'k2 spice', 'synthetic cannabinoid', 'synthetic cannabinoids', 'herbal incense']],
  ['research chemical', 'nps', [], ['research chemical', 'research chemicals', 'rc']],
  ['2-mmc', 'nps', ['2 mmc', '2mmc']],
  // prescription (non-controlled or not in the classes above)
  ['sildenafil', 'prescription', ['sildenafil', 'viagra', 'kamagra', 'cialis', 'tadalafil', 'levitra', 'vardenafil']],
  ['zolpidem', 'prescription', ['zolpidem', 'ambien', 'stilnox']],
  ['zopiclone', 'prescription', ['zopiclone', 'imovane', 'eszopiclone', 'lunesta']],
  ['pregabalin', 'prescription', ['pregabalin', 'lyrica']],
  ['gabapentin', 'prescription', ['gabapentin', 'neurontin']],
  ['modafinil', 'prescription', ['modafinil', 'armodafinil', 'modalert', 'provigil', 'waklert', 'nuvigil']],
  ['promethazine', 'prescription', ['promethazine', 'phenergan']],
  ['quetiapine', 'prescription', ['quetiapine', 'seroquel']],
  ['carisoprodol', 'prescription', ['carisoprodol'], ['soma']],
  ['barbiturate', 'prescription', ['phenobarbital', 'barbiturate', 'barbiturates', 'nembutal', 'pentobarbital', 'seconal']],
  ['antibiotic', 'prescription', ['amoxicillin', 'antibiotics', 'ciprofloxacin', 'doxycycline']],
  // performance and image enhancing drugs
  ['anabolic steroid', 'steroid', [
    'testosterone', 'nandrolone', 'trenbolone', 'tren', 'deca', 'deca durabolin', 'durabolin', 'dianabol', 'dbol', 'methandienone', 'anavar', 'oxandrolone', 'winstrol',
    'stanozolol', 'sustanon', 'boldenone', 'equipoise', 'masteron', 'primobolan', 'anadrol', 'oxymetholone', 'turinabol', 'npp', 'test e', 'test cyp', 'test prop', 'steroid', 'steroids',
  ]],
  ['hgh', 'steroid', ['hgh', 'somatropin', 'human growth hormone', 'growth hormone']],
  ['clenbuterol', 'steroid', ['clenbuterol', 'clen']],
  ['tamoxifen', 'steroid', ['tamoxifen', 'nolvadex', 'clomid', 'clomiphene', 'anastrozole', 'arimidex', 'letrozole', 'hcg']],
  // other
  ['tobacco', 'other', ['tobacco', 'cigarettes', 'cigarette', 'cigars', 'snus', 'rolling tobacco']],
];

/** Pill-press logos that mean MDMA only when the title also says pill/mg/xtc. */
export const MDMA_PILL_LOGOS = [
  'mitsubishi', 'mitsu', 'mits', 'domino', 'dominos', 'superman', 'supermans', 'punisher', 'punishers', 'tesla', 'teslas', 'philipp plein', 'rolex', 'blue dolphin',
  'pink panther', 'red bull', 'heineken', 'donkey kong', 'trump', 'twitter', 'instagram', 'bugatti', 'lacoste', 'ferrari', 'ufo', 'skull', 'transformers',
];

export const SUBSTANCES: SubstanceEntry[] = [
  ...fentanyls,
  ...nitazenes,
  ...rows.map(([name, cls, aliases, weak]) => ({ name, class: cls, aliases, ...(weak ? { weakAliases: weak } : {}) })),
];

/** Titles with these words are not drugs (digital goods, counterfeits, services): class 'other', no substance. */
export const NON_DRUG_RE =
  /\b(account|accounts|replica|watch|watches|rolex|omega|hublot|cartier|ebook|e book|guide|tutorial|method|paypal|cvv|fullz|dumps|passport|driver'?s? licen[cs]e|id card|gift ?card|software|hacking|hack|vpn|netflix|spotify|premium|lifetime|bank ?drops?|(?:counterfeit|fake)\b.{0,12}\b(?:notes|bills|money|eur|euro|usd|dollars?)|pill press|press dies|jewel+ery|necklace|bracelet|ring|iphone|laptop|gold|silver|knife|gun|pistol|ammo|scale|scales|grinder|pipe|bong|syringes?|needles?|vaporizer|how i|make money)\b/i;

/** Words that make an unrecognised title drug-like (then its chemical-looking term is kept for early warning). */
export const DRUGLIKE_RE = /\b(\d+(?:[.,]\d+)?\s*(?:mg|ug|µg|mcg|g|gr|grams?)|pills?|tabs?|tablets?|capsules?|caps|powder|crystals?|crystal|pellets?|blotters?|hcl|research|rc|pure|purity|nasal spray|legal high|novel|analog(?:ue)?|new batch|reagent)\b/i;

/** Chemical-looking terms: hyphenated alphanumerics ("3-HO-PCP", "MDMB-4en-PINACA") or chemistry suffixes. */
export const CANDIDATE_TERM_RE =
  /\b(?:\d{1,2}[a-z]{0,3}-[a-z0-9]+(?:-[a-z0-9]+)*|[a-z]{1,6}-\d[a-z0-9]*(?:-[a-z0-9]+)*|[a-z]{2,}-[a-z]{2,}(?:-[a-z0-9]+)+|[a-z]{4,}(?:zene|zolam|azepam|pam|phine|done|drone|edrone|ylone|amine|amide|inaca|ine|one|ide|ate|ol))\b/gi;

export const CANDIDATE_STOPWORDS = new Set([
  'online', 'phone', 'someone', 'everyone', 'anyone', 'alone', 'done', 'none', 'gone', 'stone', 'one', 'tone', 'zone', 'drone', 'line', 'fine', 'wine', 'mine', 'shine',
  'online', 'machine', 'medicine', 'genuine', 'pristine', 'routine', 'marine', 'engine', 'cuisine', 'define', 'divine', 'combine', 'examine', 'outline', 'pipeline',
  'guide', 'inside', 'outside', 'side', 'wide', 'worldwide', 'provide', 'pride', 'ride', 'slide', 'tide', 'bride', 'hide', 'decide', 'divide', 'include', 'ultimate',
  'private', 'update', 'rate', 'date', 'state', 'estate', 'create', 'plate', 'late', 'gate', 'ate', 'mate', 'crate', 'template', 'chocolate', 'accurate', 'immediate',
  'moderate', 'separate', 'desperate', 'premiumate', 'control', 'patrol', 'petrol', 'protocol', 'alcohol', 'pistol', 'capitol', 'idol', 'school', 'tool', 'pool',
  'crystalline', 'vaccine', 'quality', 'discount', 'sample', 'samples', 'escrow', 'shipping', 'stealth', 'free', 'bulk', 'pure', 'grade', 'batch', 'tested',
  'high-grade', 'top-shelf', 'next-day', 'same-day', 'e-mail', 'follow-up', 'x-mas', 'lab-tested', 'tracked-shipping', 'uk-uk', 'eu-eu', 'us-us', 'cod-only',
  'reagent-tested', 'no-fe', 'fe-only', 'fast-shipping', 'free-shipping', 'top-quality', 'high-quality', 'all-in-one', 'pay-pal', 'white-label', 'lemonade', 'caffeine',
]);
