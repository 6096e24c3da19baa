/**
 * Numbers people state without digits: small counts in words ("three friends"), "twice as many",
 * "half of them", "a dozen", and the constants of everyday units (7 days in a week, 60 minutes in
 * an hour, 100 cm in a metre, 12 months in a year). A solution uses them as digits, so a model
 * that only trusts numbers written in the problem marks right solutions wrong. Scenarios here use
 * such numbers; `spellNumbers` writes small counts of any problem in words; `statedNumbers` is what
 * a problem gives, digits and words alike (the generator's test for "a number nobody gave").
 */
import type { Rng } from './rng.ts';
import { MONEY, PlanBuilder, given, plain, type Plan, type Qty } from './plan.ts';
import { cap, finish, money, person, thingFrom, type Wording } from './kit.ts';

/** Counts written as words, by value. */
export const NUMBER_WORDS = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
];

/** Words that carry a number of their own, and that number. */
export const IMPLIED: readonly [RegExp, number][] = [
  [/\b(twice|double|doubles|half)\b/i, 2],
  [/\b(triple|triples)\b/i, 3],
  [/\bdozens?\b/i, 12],
  [/\bweeks?\b/i, 7],
  [/\bhours?\b/i, 60],
  [/\b(metres|metre|meters|meter)\b/i, 100],
  [/\byears?\b/i, 12],
];

/** Numbers written in a text: digits (with or without thousands separators) and counts in words. */
export function writtenNumbers(text: string): Set<number> {
  const out = new Set((text.replace(/(\d),(?=\d{3}\b)/g, '$1').match(/\d+/g) ?? []).map(Number));
  for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    const k = NUMBER_WORDS.indexOf(w);
    if (k >= 0) out.add(k);
  }
  return out;
}

/**
 * Every number a problem gives: `writtenNumbers` and the numbers `IMPLIED` words carry.
 *
 * @example
 * statedNumbers('Ana runs 3 km a day for two weeks.'); // Set {3, 2, 7}
 */
export function statedNumbers(text: string): Set<number> {
  const out = writtenNumbers(text);
  for (const [re, n] of IMPLIED) if (re.test(text)) out.add(n);
  return out;
}

/** Unit words a count in words never comes before ("five km" is not how people write). */
const UNIT_AFTER = /^ (km|cm|mm|m|kg|g|l|ml|mph)\b/;

/**
 * A problem as people write one: now and then (`share` of problems) counts from 2 to 12 before a
 * word become words ("3 friends" -> "three friends"), and numbers from 1,000 get thousands
 * separators. Money, decimals and digits inside other numbers stay as they are.
 */
export function spellNumbers(r: Rng, text: string, share = 0.3): string {
  if (!r.chance(share)) return text;
  const words = r.chance(0.7);
  const commas = r.chance(0.5);
  return text.replace(/\d+/g, (digits: string, at: number) => {
    const before = text.slice(0, at);
    const after = text.slice(at + digits.length);
    if (/[\d,.]$/.test(before) || /^[,.]\d/.test(after)) return digits;
    const n = Number(digits);
    if (
      words &&
      n >= 2 &&
      n <= 12 &&
      !before.endsWith('$') &&
      /^ [a-z]/.test(after) &&
      !UNIT_AFTER.test(after)
    ) {
      if (!r.chance(0.7)) return digits;
      return /(^|[.?!]\s*)$/.test(before) ? cap(NUMBER_WORDS[n]) : NUMBER_WORDS[n];
    }
    return commas && n >= 1000 ? n.toLocaleString('en-US') : digits;
  });
}

/** A daily habit kept for some weeks, a rate kept for hours, a monthly cost paid for years. */
interface Span {
  /** `{who} runs N km`, with the amount written by `show`. */
  does: (show: string) => string;
  /** The amount's unit (`km`) or money. */
  amount: string;
  money: boolean;
  /** How often the amount comes: `every day`, `a minute`. */
  every: string;
  /** The long unit and the short one it holds `per` of: weeks of 7 days. */
  long: [one: string, many: string];
  short: string;
  per: number;
  lo: number;
  hi: number;
  ask: string;
}

const SPANS: Span[] = [
  {
    does: (n) => `{who} runs ${n} km`,
    amount: 'km',
    money: false,
    every: 'every day',
    long: ['week', 'weeks'],
    short: 'days',
    per: 7,
    lo: 2,
    hi: 12,
    ask: 'How many km does {he} run in all?',
  },
  {
    does: (n) => `{who} reads ${n} pages`,
    amount: 'pages',
    money: false,
    every: 'each day',
    long: ['week', 'weeks'],
    short: 'days',
    per: 7,
    lo: 5,
    hi: 40,
    ask: 'How many pages does {he} read?',
  },
  {
    does: (n) => `{who} practises the piano for ${n} minutes`,
    amount: 'minutes',
    money: false,
    every: 'every day',
    long: ['week', 'weeks'],
    short: 'days',
    per: 7,
    lo: 10,
    hi: 60,
    ask: 'How many minutes does {he} practise altogether?',
  },
  {
    does: (n) => `{who} saves ${n}`,
    amount: 'dollars',
    money: true,
    every: 'a day',
    long: ['week', 'weeks'],
    short: 'days',
    per: 7,
    lo: 2,
    hi: 15,
    ask: 'How much does {he} save?',
  },
  {
    does: (n) => `A machine in {his} workshop makes ${n} bolts`,
    amount: 'bolts',
    money: false,
    every: 'every minute',
    long: ['hour', 'hours'],
    short: 'minutes',
    per: 60,
    lo: 2,
    hi: 25,
    ask: 'How many bolts does it make?',
  },
  {
    does: (n) => `A pump fills {his} pool with ${n} litres of water`,
    amount: 'litres',
    money: false,
    every: 'a minute',
    long: ['hour', 'hours'],
    short: 'minutes',
    per: 60,
    lo: 5,
    hi: 40,
    ask: 'How many litres does it pump?',
  },
  {
    does: (n) => `{who} pays ${n} for music lessons`,
    amount: 'dollars',
    money: true,
    every: 'each month',
    long: ['year', 'years'],
    short: 'months',
    per: 12,
    lo: 15,
    hi: 90,
    ask: 'How much does {he} pay in total?',
  },
  {
    does: (n) => `{who} puts ${n} into a savings account`,
    amount: 'dollars',
    money: true,
    every: 'every month',
    long: ['year', 'years'],
    short: 'months',
    per: 12,
    lo: 10,
    hi: 80,
    ask: 'How much has {he} put in after that time?',
  },
];

/** A rate kept for weeks, hours or years: the long unit in short units first, then the total. */
function span(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  const s = r.pick(SPANS);
  const n = r.int(s.lo, s.hi);
  const k = r.int(2, s.per === 60 ? 6 : 9);
  const u = s.money ? MONEY : plain(s.amount);
  const amount = s.money ? money(r, n) : String(n);
  const long = `${k} ${s.long[1]}`;
  const does = s.does(amount).replace('{who}', who.name);
  const sentence = r.pick([
    `${does} ${s.every} for ${long}.`,
    `For ${long}, ${does.replace(/^A /, 'a ')} ${s.every}.`,
  ]);
  const units = p.calc(
    given(k, plain(s.long[1])),
    '*',
    given(s.per, plain(s.short)),
    `the ${s.short} in ${long}`,
    plain(s.short),
  );
  p.calc(units, '*', given(n, u), s.money ? 'the total' : `the ${s.amount} in all`, u);
  return finish('span', who, [sentence, s.ask], p);
}

/** Conversions where the total is split: metres cut into centimetre pieces, dozens used up. */
function convert(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  if (r.chance(0.5)) {
    const m = r.int(2, 9);
    const piece = r.pick([5, 10, 20, 25, 50]);
    const thing = r.pick(['ribbon', 'rope', 'string', 'wire', 'fabric']);
    const metres = r.pick(['metres', 'meters']);
    const cm = p.calc(
      given(m, plain(metres)),
      '*',
      given(100, plain('cm')),
      `the centimetres of ${thing}`,
      plain('cm'),
    );
    p.calc(cm, '/', given(piece, plain('cm')), 'the number of pieces', plain('pieces'));
    return finish(
      'convert',
      who,
      [
        `${who.name} has ${m} ${metres} of ${thing}.`,
        r.pick([`{He} cuts it into pieces ${piece} cm long.`, `{He} cuts it into ${piece} cm pieces.`]),
        'How many pieces does {he} get?',
      ],
      p,
    );
  }
  const d = r.int(2, 9);
  const thing = r.pick(['eggs', 'cookies', 'roses', 'donuts', 'bagels', 'pencils']);
  const all = p.calc(given(d), '*', given(12, plain(thing)), `the ${thing} in ${d} dozen`, plain(thing));
  const used = r.int(5, all.value - 1);
  p.calc(all, '-', given(used, plain(thing)), `the ${thing} left`, plain(thing));
  const verb = r.pick([
    ['uses', 'How many are left?'],
    ['sells', `How many ${thing} are left?`],
    ['gives away', `How many ${thing} does {he} still have?`],
  ]);
  return finish(
    'convert',
    who,
    [`${who.name} buys ${d} dozen ${thing}.`, `{He} ${verb[0]} ${used} of them.`, verb[1]],
    p,
  );
}

/** Twice as many, three times as many, half of them. */
function times(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const other = person(r, w);
  const p = new PlanBuilder();
  const thing = thingFrom(r, w, ['stickers', 'marbles', 'cards', 'stamps', 'shells', 'books', 'coins']);
  const u = plain(thing);
  const mode = r.int(0, 2);
  if (mode === 2) {
    const n = 2 * r.int(5, 120);
    const half: Qty = p.calc(given(n, u), '/', given(2), `half of the ${thing}`, u);
    p.calc(given(n, u), '-', half, `the ${thing} left`, u);
    return finish(
      'times',
      who,
      [
        `${who.name} has ${n} ${thing}.`,
        r.pick([
          `{He} gives half of them to ${other.name}.`,
          `{He} sells half of {his} ${thing}.`,
          `Half of them get lost.`,
        ]),
        `How many ${thing} does {he} have left?`,
      ],
      p,
    );
  }
  const n = r.int(4, 150);
  const k = mode === 0 ? 2 : r.int(3, 5);
  const word =
    k === 2 ? r.pick(['twice as many', 'double that number of']) : `${NUMBER_WORDS[k]} times as many`;
  const more = p.calc(given(n, u), '*', given(k), `${other.name}'s ${thing}`, u);
  const together = r.chance(0.5);
  if (together) p.calc(given(n, u), '+', more, `the ${thing} they have together`, u);
  else p.calc(more, '-', given(n, u), `how many more ${other.name} has`, u);
  return finish(
    'times',
    who,
    [
      `${who.name} has ${n} ${thing}.`,
      `${other.name} has ${word}${word.endsWith('of') ? ` ${thing}` : ''}.`,
      together
        ? `How many ${thing} do they have together?`
        : `How many more ${thing} does ${other.name} have than ${who.name}?`,
    ],
    p,
  );
}

/** Gives the same number to each of several people: a product, then what is left. */
function eachOf(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  const thing = thingFrom(r, w, ['oranges', 'stickers', 'pencils', 'cookies', 'cards', 'balloons']);
  const u = plain(thing);
  const each = r.int(2, 12);
  const friends = r.int(2, 9);
  const start = each * friends + r.int(1, 150);
  const gone = p.calc(given(each, u), '*', given(friends), `the ${thing} given away`, u);
  p.calc(given(start, u), '-', gone, `the ${thing} left`, u);
  const whom = r.pick(['friends', 'cousins', 'classmates', 'neighbours']);
  return finish(
    'each-of',
    who,
    [
      `${who.name} has ${start} ${thing}.`,
      r.pick([
        `{He} gives ${each} ${thing} to each of {his} ${friends} ${whom}.`,
        `Each of {his} ${friends} ${whom} gets ${each} ${thing} from {him}.`,
      ]),
      r.pick([`How many ${thing} does {he} have left?`, `How many ${thing} are left?`]),
    ],
    p,
  );
}

/** Drawn from alongside scenarios.ts's situations. */
export const IMPLIED_SCENARIOS: ((r: Rng, w: Wording) => Plan)[] = [span, convert, times, eachOf];
