// Public face of the simulated world's exports: Telegram Desktop JSON, a mysqldump of the seized market, truth.json.
export { writeSimOutputs, type SimOutputFile, type SimOutputManifest } from './write.ts';
export { telegramExport, renderTelegramJson, telegramUserId, type TelegramExport, type TelegramMessage, type TelegramEntity } from './telegram.ts';
export { dumpSeized, seizedTables, type SeizedRowCounts } from './seized-dump.ts';
export { sqlString, sqlValue, datetime, dumpTable, dumpHeader, dumpFooter, type TableDef, type SqlValue } from './mysqldump.ts';
