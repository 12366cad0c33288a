import { armoredKeyOf, dayToUnix, indexWorld, priceOn, stockOn, usdToBtc, type SeizedDatabase, type World } from '../world/index.ts';
import { datetime, decimal, dumpFooter, dumpHeader, dumpTable, type TableDef } from './mysqldump.ts';

/** Row counts of each table in a seized dump (what a loaded database must contain). */
export type SeizedRowCounts = Record<'feedback' | 'listings' | 'messages' | 'orders' | 'users' | 'vendors' | 'wallets', number>;

/** The seized market's tables, in mysqldump's (alphabetical) order. */
export function seizedTables(world: World, db: SeizedDatabase): TableDef[] {
  const idx = indexWorld(world);
  const userId = new Map(db.users.map((u) => [u.worldId, u.userId]));
  const uid = (worldId: string | undefined): number => {
    const id = userId.get(worldId ?? '');
    if (id === undefined) throw new Error(`seized dump: ${worldId} has no user row`);
    return id;
  };
  const market = idx.market.get(db.market);
  const seizure = dayToUnix(db.day);

  const vendorRows: TableDef['rows'] = [];
  const vendorId = new Map<string, number>();
  for (const u of db.users) {
    if (u.role !== 'vendor') continue;
    const acc = idx.account.get(u.worldId);
    if (!acc) continue;
    const shown = acc.pgpKeys.filter((k) => k.fromDay <= db.day).at(-1) ?? acc.pgpKeys[0];
    const key = shown ? idx.key.get(shown.fingerprint) : undefined;
    const identity = idx.identity.get(acc.identityId);
    vendorId.set(acc.id, vendorRows.length + 1);
    vendorRows.push([vendorRows.length + 1, u.userId, acc.level, acc.profileText, key ? armoredKeyOf(key) : null,
      key ? key.fingerprint : null, identity?.country ?? null, decimal(market?.commission ?? 0.05, 3), datetime(u.createdAt)]);
  }

  const listingRows: TableDef['rows'] = [];
  const listingId = new Map<string, number>();
  for (const acc of idx.accountsByMarket.get(db.market) ?? []) {
    for (const l of idx.listingsByAccount.get(acc.id) ?? []) {
      if (l.openDay > db.day) continue;
      const asOf = Math.min(db.day, l.closeDay ?? db.day);
      listingId.set(l.id, listingRows.length + 1);
      listingRows.push([listingRows.length + 1, vendorId.get(acc.id) ?? 0, l.externalId, l.title, l.description,
        l.substanceClass, decimal(priceOn(l, asOf), 2), decimal(l.quantity, 3), l.unit, stockOn(l, asOf), l.shipsFrom,
        l.shipsTo.join(','), l.closeDay !== undefined && l.closeDay < db.day ? 0 : 1,
        datetime(dayToUnix(l.openDay) + (Number.parseInt(l.id.slice(1), 10) % 86_400))]);
    }
  }

  const orderRows: TableDef['rows'] = [];
  const feedbackRows: TableDef['rows'] = [];
  for (const s of world.sales) {
    if (s.market !== db.market || s.at > seizure + 86_400) continue;
    const orderId = orderRows.length + 1;
    orderRows.push([orderId, listingId.get(s.listingId) ?? 0, uid(s.buyerId), vendorId.get(s.accountId) ?? 0, s.units,
      decimal(s.priceUsd, 2), decimal(usdToBtc(s.priceUsd, s.day), 8), s.buyerCountry, s.status === 'lost_in_exit_scam' ? 'disputed' : s.status,
      datetime(s.at)]);
    const fb = s.feedback;
    if (fb && fb.day <= db.day) {
      feedbackRows.push([feedbackRows.length + 1, orderId, fb.rating, fb.text, fb.hidden ? 1 : 0,
        datetime(Math.min(seizure, dayToUnix(fb.day) + (s.at % 86_400)))]);
    }
  }

  const messageRows: TableDef['rows'] = db.messages.map((m) => [m.id, uid(m.fromAccountId ?? m.fromBuyerId),
    uid(m.toAccountId ?? m.toBuyerId), m.subject, m.body, datetime(m.at)]);
  const walletRows: TableDef['rows'] = db.wallets.map((w, i) => [i + 1, uid(w.ownerId), w.kind === 'xmr' ? 'XMR' : 'BTC',
    w.address, w.purpose, decimal(w.balanceUsd, 2)]);
  const userRows: TableDef['rows'] = db.users.map((u) => [u.userId, u.username, u.passwordHash, u.role,
    datetime(u.createdAt), datetime(u.lastLogin)]);

  return [
    { name: 'feedback', rows: feedbackRows, lines: ['`id` int(11) NOT NULL AUTO_INCREMENT', '`order_id` int(11) NOT NULL',
      '`rating` tinyint(4) NOT NULL', '`comment` text', "`hidden` tinyint(1) NOT NULL DEFAULT '0'", '`created_at` datetime NOT NULL',
      'PRIMARY KEY (`id`)', 'KEY `order_id` (`order_id`)'] },
    { name: 'listings', rows: listingRows, lines: ['`id` int(11) NOT NULL AUTO_INCREMENT', '`vendor_id` int(11) NOT NULL',
      '`external_id` varchar(64) NOT NULL', '`title` varchar(255) NOT NULL', '`description` text', '`category` varchar(32) NOT NULL',
      '`price_usd` decimal(12,2) NOT NULL', '`quantity` decimal(12,3) NOT NULL', '`unit` varchar(16) NOT NULL',
      "`stock` int(11) NOT NULL DEFAULT '0'", '`ships_from` char(2) NOT NULL', '`ships_to` varchar(255) NOT NULL',
      "`active` tinyint(1) NOT NULL DEFAULT '1'", '`created_at` datetime NOT NULL', 'PRIMARY KEY (`id`)',
      'UNIQUE KEY `external_id` (`external_id`)', 'KEY `vendor_id` (`vendor_id`)'] },
    { name: 'messages', rows: messageRows, lines: ['`id` int(11) NOT NULL AUTO_INCREMENT', '`sender_id` int(11) NOT NULL',
      '`recipient_id` int(11) NOT NULL', '`subject` varchar(255) NOT NULL', '`body` text NOT NULL', '`created_at` datetime NOT NULL',
      'PRIMARY KEY (`id`)', 'KEY `sender_id` (`sender_id`)', 'KEY `recipient_id` (`recipient_id`)'] },
    { name: 'orders', rows: orderRows, lines: ['`id` int(11) NOT NULL AUTO_INCREMENT', '`listing_id` int(11) NOT NULL',
      '`buyer_id` int(11) NOT NULL', '`vendor_id` int(11) NOT NULL', "`units` int(11) NOT NULL DEFAULT '1'",
      '`price_usd` decimal(12,2) NOT NULL', '`price_btc` decimal(16,8) NOT NULL', '`ship_country` char(2) NOT NULL',
      "`status` enum('pending','shipped','finalized','refunded','disputed') NOT NULL DEFAULT 'pending'",
      '`created_at` datetime NOT NULL', 'PRIMARY KEY (`id`)', 'KEY `listing_id` (`listing_id`)', 'KEY `buyer_id` (`buyer_id`)',
      'KEY `vendor_id` (`vendor_id`)'] },
    { name: 'users', rows: userRows, lines: ['`id` int(11) NOT NULL AUTO_INCREMENT', '`username` varchar(64) NOT NULL',
      '`password` varchar(255) NOT NULL', "`role` enum('buyer','vendor','admin') NOT NULL DEFAULT 'buyer'",
      '`created_at` datetime NOT NULL', '`last_login` datetime DEFAULT NULL', 'PRIMARY KEY (`id`)',
      'UNIQUE KEY `username` (`username`)'] },
    { name: 'vendors', rows: vendorRows, lines: ['`id` int(11) NOT NULL AUTO_INCREMENT', '`user_id` int(11) NOT NULL',
      "`level` tinyint(4) NOT NULL DEFAULT '1'", '`profile` text', '`pgp_key` mediumtext', '`pgp_fingerprint` char(40) DEFAULT NULL',
      '`ships_from` char(2) DEFAULT NULL', "`commission` decimal(5,3) NOT NULL DEFAULT '0.050'", '`created_at` datetime NOT NULL',
      'PRIMARY KEY (`id`)', 'UNIQUE KEY `user_id` (`user_id`)'] },
    { name: 'wallets', rows: walletRows, lines: ['`id` int(11) NOT NULL AUTO_INCREMENT', '`user_id` int(11) NOT NULL',
      "`currency` enum('BTC','XMR') NOT NULL", '`address` varchar(128) NOT NULL', "`purpose` enum('deposit','withdrawal') NOT NULL",
      "`balance_usd` decimal(14,2) NOT NULL DEFAULT '0.00'", 'PRIMARY KEY (`id`)', 'KEY `user_id` (`user_id`)'] },
  ];
}

/** Streams the dump of one seized market to `emit`; returns the row count of each table. */
export function dumpSeized(world: World, db: SeizedDatabase, emit: (chunk: string) => void): SeizedRowCounts {
  const tables = seizedTables(world, db);
  emit(dumpHeader(db.market));
  const counts = {} as SeizedRowCounts;
  for (const t of tables) {
    dumpTable(t, emit);
    counts[t.name as keyof SeizedRowCounts] = t.rows.length;
  }
  emit('\n');
  emit(dumpFooter(dayToUnix(db.day) + 6 * 3600));
  return counts;
}
