import type { AnswerResult } from './questions.js';

/** What every question to a person (a confirmation, a server's form) tells someone other than the asker. */
export const NOT_YOUR_QUESTION_TEXT = 'Only the person who asked can answer this.';

/** For an answer whose shape belongs to another kind of question (a form's values on a confirmation, say). */
export const NOT_THIS_QUESTION_TEXT = 'That answer belongs to another kind of question.';

/** For an answer to a question nothing waits for any more. */
export function goneQuestionText(result: Extract<AnswerResult, { kind: 'gone' }>): string {
  return result.restarted
    ? '⏹️ I restarted while this was waiting, so it went unanswered. Ask again if you still want it.'
    : 'This question is no longer waiting for an answer.';
}
