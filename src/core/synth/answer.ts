/**
 * The answer sentence people end a solution with: the question turned into a statement ("How
 * many cookies does she have left?" -> "She has 39 cookies left."). Only questions in the
 * present tense with a pronoun, a name or "the ..." as subject are turned; others give null, and
 * the renderer writes "The answer is ..." instead.
 */
import { cap } from './kit.ts';

/** The third person singular of a verb: has, goes, pays, carries. */
export function thirdPerson(verb: string): string {
  if (verb === 'have') return 'has';
  if (/(s|sh|ch|x|o)$/.test(verb)) return `${verb}es`;
  if (/[^aeiou]y$/.test(verb)) return `${verb.slice(0, -1)}ies`;
  return `${verb}s`;
}

const SUBJECT = "(she|he|they|it|that|each [a-z]+|[A-Z][\\w.']*(?: [A-Z][\\w.']*)?|the [a-z]+)";
const DOES = new RegExp(`^How (many|much|far) (?:(.+?) )?(does|do) ${SUBJECT} ([a-z]+)(.*)\\?$`);
/** Words that can stand where the verb does but are not one ("does she still have to go"). */
const NOT_VERBS = new Set(['still', 'not', 'also', 'only', 'then', 'now']);
/** Particles that stay after the verb: "ends up with 39 cards", "brings in $39". */
const PARTICLE = /^ (up with|in|up|back|out)$/;

/**
 * `question` as the statement of its answer, with `count` (`39`) for "how many" and `amount`
 * (`$26`, `13 days`) for "how much"; null when it is not a question this can turn, or when the
 * statement would end on another number than the answer.
 *
 * @example
 * answerSentence('How many days does he need to finish it?', '13', '13 days'); // 'He needs 13 days to finish it.'
 */
export function answerSentence(question: string, count: string, amount: string): string | null {
  const q = question.trim();
  const d = DOES.exec(q);
  if (d) {
    const [, how, noun, aux, who, verb, rest] = d;
    if (/\d/.test(rest) || NOT_VERBS.has(verb)) return null;
    const verbed = aux === 'does' ? thirdPerson(verb) : verb;
    const what =
      how === 'many'
        ? noun
          ? `${count} ${noun}`
          : null
        : noun === 'change'
          ? `${amount} in change`
          : noun === undefined || (how === 'much' && noun === 'money')
            ? amount
            : null;
    if (what === null) return null;
    const particle = PARTICLE.exec(rest);
    return particle
      ? `${cap(who)} ${verbed} ${particle[1]} ${what}.`
      : `${cap(who)} ${verbed} ${what}${rest}.`;
  }
  const total = /^What is (the [a-z ]+)\?$/.exec(q);
  if (total) return `${cap(total[1])} is ${amount}.`;
  const that = /^How many ([a-z ]+?) is that( [a-z ]+)?\?$/.exec(q);
  if (that) return `That is ${count} ${that[1]}${that[2] ?? ''}.`;
  const much = /^How much (?:money )?is ([a-z ]+)\?$/.exec(q);
  if (much) return `${amount} is ${much[1]}.`;
  const there = /^How many ([a-z ]+?) are there( now| in all| altogether)?\?$/.exec(q);
  if (there) return `There are ${count} ${there[1]}${there[2] ?? ''}.`;
  const are = /^How many (?:([a-z ]+?) )?are ([a-z ]+)\?$/.exec(q);
  if (are) return `${count}${are[1] ? ` ${are[1]}` : ''} are ${are[2]}.`;
  return null;
}

/** The question of a problem: its last sentence ending in `?`, or ''. */
export function questionOf(problem: string): string {
  const m = /[^.?!]*\?\s*$/.exec(problem);
  return m ? m[0].trim() : '';
}
