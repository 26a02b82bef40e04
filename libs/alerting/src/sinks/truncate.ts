/**
 * Shortens to at most `max` characters, ending in "…". Counts code points,
 * not UTF-16 units, so an emoji is never cut in half into invalid text.
 */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
