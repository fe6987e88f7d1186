/** Discord's limit for a thread's name. */
const THREAD_NAME_LIMIT = 100;

/** A thread title from the first words of the question, on a word boundary where one is near. */
export function threadName(question: string, fallback: string): string {
  const words = question.replace(/\s+/g, ' ').trim();
  if (!words) return fallback.slice(0, THREAD_NAME_LIMIT);
  if (words.length <= THREAD_NAME_LIMIT) return words;
  const cut = words.slice(0, THREAD_NAME_LIMIT - 1);
  const lastSpace = cut.lastIndexOf(' ');
  return `${lastSpace > THREAD_NAME_LIMIT / 2 ? cut.slice(0, lastSpace) : cut}…`;
}
