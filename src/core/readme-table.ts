export const TABLE_START = "<!-- answers-table:start (generated from schema/answers.schema.json by npm run docs) -->";
export const TABLE_END = "<!-- answers-table:end -->";

/** README text with the block between the markers replaced by table. */
export function replaceAnswersTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${TABLE_START} … ${TABLE_END}`);
  return readme.slice(0, start + TABLE_START.length) + "\n\n" + table + "\n" + readme.slice(end);
}
