import type { GenContext } from './context.ts';
import { countryName } from './listings.ts';
import { PROFILE_SENTENCES, styledText } from './style.ts';

/** Vendor profile texts ("about", terms, contacts, direct-deal addresses), written in the identity's style. */
export function writeProfiles(ctx: GenContext): void {
  const plans = new Map(ctx.plans.map((p) => [p.identity.id, p]));
  for (const acc of ctx.accounts) {
    const plan = plans.get(acc.identityId);
    if (!plan) continue;
    const rng = ctx.rng.fork(`profile/${acc.id}`);
    const style = plan.identity.style;
    const sentences = rng.sample(PROFILE_SENTENCES, rng.int(2, 4));
    sentences.push(style.shippingPhrase.toLowerCase());
    if (acc.market) sentences.push(`shipping from ${countryName(plan.identity.country)}`);
    const bullets: string[] = [];
    for (const c of acc.shownContacts) bullets.push(`${c.platform}: ${c.handle}`);
    for (const a of acc.shownCrypto) bullets.push(`${a.length === 95 ? 'XMR' : 'BTC'} for direct deals: ${a}`);
    if (acc.pgpKeys.length > 0 && acc.market) sentences.push(rng.pick(['my pgp key is below', 'use my PGP for your address', 'encrypt everything with my key']));
    acc.profileText = acc.channel
      ? styledText(style, rng, [rng.pick(['official channel', 'menu and updates here', 'best prices in town'])], { greeting: false, signOff: false })
      : styledText(style, rng, sentences, { bullets });
  }
}
