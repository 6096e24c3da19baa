/**
 * One relation between two given numbers, the way a teacher's one-line problem states it: a rate
 * and how long ("64 km each hour ... in 7 hours"), a total and a group size ("Each bus holds 42
 * students ... how many buses"), a goal and what is done, two amounts together. The relation, not
 * a scenario's fixed chain, decides the operation, and the solution is often a single computation.
 * Now and then one follow-up (some given away, the rest shared out) makes a second step. Same
 * rules as scenarios.ts: operands are given numbers or earlier results, divisions are exact.
 */
import type { Rng } from './rng.ts';
import { MONEY, PlanBuilder, given, plain, type Op, type Plan, type Qty, type Unit } from './plan.ts';
import { cap, finish, money, person, thingFrom, type Person, type Wording } from './kit.ts';

/** What one relation says: its sentences (question last), its computation and its result. */
interface Said {
  sentences: string[];
  a: Qty;
  op: Op;
  b: Qty;
  what: string;
  unit: Unit;
  /**
   * The result is the person's own `thing` (or money), so a follow-up may give some away or share
   * it out; `told` then replaces the question with a statement that keeps its numbers.
   */
  follow?: { thing: string; told: string };
  /**
   * The relation happens again every `period` ("3 laps every morning"); `ask` is the question for
   * `k` periods, a product of the result and `k` ("in 5 mornings").
   */
  repeat?: { every: string; period: string; ask: (k: number) => string };
}

type Relation = (r: Rng, w: Wording, who: Person) => Said;

/** A unit word (`'km'`, `''` for none) or a unit such as MONEY. */
const unitOf = (u: string | Unit): Unit => (typeof u === 'string' ? plain(u) : u);

/** A computation over two given numbers with their units: `a unitA op b unitB`, giving `unit`. */
function calc(
  a: number,
  unitA: string | Unit,
  op: Op,
  b: number,
  unitB: string | Unit,
  unit: string | Unit,
  what: string,
) {
  return { a: given(a, unitOf(unitA)), op, b: given(b, unitOf(unitB)), what, unit: unitOf(unit) };
}

/** Someone besides `who`, by name, or "a friend" when the draw is `who`. */
function someoneElse(r: Rng, who: Person): string {
  const other = r.pick(['Sam', 'Mia', 'Ravi', 'Ana', 'Leo', 'Zoe']);
  return other === who.name ? 'a friend' : other;
}

/** `per` each `unit`, for `n` units: a product. */
const RATE_TIMES: Relation = (r, w, who) => {
  const k = r.int(0, 7);
  const n = r.int(2, k === 3 ? 60 : 15);
  if (k === 0) {
    const per = r.int(12, 95);
    const sentences = [
      r.pick([`A car travels ${per} km each hour.`, `A train goes ${per} km every hour.`]),
      r.pick([`How far does it travel in ${n} hours?`, `How many km does it go in ${n} hours?`]),
    ];
    return { sentences, ...calc(per, 'km', '*', n, 'hours', 'km', 'the distance') };
  }
  if (k === 1) {
    const per = r.int(5, 60);
    const sentences = [
      `A printer prints ${per} pages ${r.pick(['per minute', 'each minute', 'every minute', 'a minute'])}.`,
      `How many pages does it print in ${n} minutes?`,
    ];
    return { sentences, ...calc(per, 'pages', '*', n, 'minutes', 'pages', 'the pages printed') };
  }
  if (k === 2) {
    const per = r.pick([50, 100, 125, 150, 200, 250, 300, 400, 500]);
    const item = r.pick([
      ['loaf', 'loaves'],
      ['cake', 'cakes'],
      ['batch', 'batches'],
      ['pizza', 'pizzas'],
    ]);
    const sentences = [
      `${who.name} uses ${per} grams of ${r.pick(['flour', 'sugar', 'butter'])} for each ${item[0]}.`,
      `How many grams does {he} need for ${n} ${item[1]}?`,
    ];
    return { sentences, ...calc(per, 'grams', '*', n, item[1], 'grams', 'the grams needed') };
  }
  if (k === 3) {
    const per = r.int(2, 12);
    const thing = thingFrom(r, w, ['stamps', 'shells', 'cards', 'stickers', 'buttons']);
    const sentences = [
      `${who.name} ${r.pick(['collects', 'finds', 'makes', 'gets'])} ${per} ${thing} every day.`,
      `How many ${thing} is that in ${n} days?`,
    ];
    const follow = { thing, told: `{He} keeps this up for ${n} days.` };
    return { sentences, ...calc(per, thing, '*', n, 'days', thing, `the ${thing} in ${n} days`), follow };
  }
  if (k === 4) {
    const per = r.int(2, 40);
    const sentences = [
      `${who.name} saves ${money(r, per)} each week.`,
      `How much does {he} save in ${n} weeks?`,
    ];
    const follow = { thing: 'money', told: `{He} does this for ${n} weeks.` };
    return { sentences, ...calc(per, MONEY, '*', n, '', MONEY, 'the money saved'), follow };
  }
  if (k === 6) {
    // Metres and years as plain units: not every problem that says "metres" converts to cm.
    const per = r.pick([25, 50, 100, 200, 250, 400, 500, 800]);
    const laps = r.int(2, 12);
    const [verb, where] = r.pick([
      ['runs', 'track'],
      ['swims', 'pool'],
      ['walks', 'path'],
    ]);
    const metres = r.pick(['metres', 'meters', 'm']);
    const ask = `How many ${metres} does {he} ${verb.replace(/s$/, '')}`;
    const sentences = [
      r.chance(0.5)
        ? `${who.name} ${verb} ${laps} laps of a ${per} ${metres === 'm' ? 'm' : 'metre'} ${where}.`
        : `A ${where} is ${per} ${metres} long. ${who.name} ${verb} ${laps} laps.`,
      `${ask}?`,
    ];
    const period = r.pick(['day', 'morning', 'evening', 'week']);
    const repeat = {
      every: r.pick(['every', 'each']),
      period,
      ask: (k: number) => `${ask} in ${k} ${period}s?`,
    };
    return { sentences, ...calc(per, metres, '*', laps, 'laps', metres, 'the distance'), repeat };
  }
  if (k === 7) {
    const per = r.int(20, 900);
    const sentences = [
      `${who.name}'s ${r.pick(['club', 'school', 'shop', 'farm'])} ${r.pick(['raises', 'spends', 'earns'])} ${money(r, per)} every year.`,
      `How much is that in ${n} years?`,
    ];
    return { sentences, ...calc(per, MONEY, '*', n, 'years', MONEY, 'the money in all') };
  }
  // k === 5: things in boxes.
  const per = r.int(6, 48);
  const box = r.pick([
    ['box', 'boxes'],
    ['pack', 'packs'],
    ['bag', 'bags'],
    ['crate', 'crates'],
  ]);
  const thing = thingFrom(r, w, ['crayons', 'pencils', 'apples', 'cookies', 'cans', 'markers']);
  const sentences = [
    r.pick([`A ${box[0]} holds ${per} ${thing}.`, `There are ${per} ${thing} in each ${box[0]}.`]),
    `How many ${thing} are there in ${n} ${box[1]}?`,
  ];
  const follow = { thing, told: `${who.name} buys ${n} ${box[1]}.` };
  return { sentences, ...calc(per, thing, '*', n, box[1], thing, `the ${thing} in ${n} ${box[1]}`), follow };
};

/** A total and the size of one group: how many groups (a quotient). */
const HOW_MANY_GROUPS: Relation = (r, w, who) => {
  const size = r.int(2, 48);
  const groups = r.int(2, 25);
  const total = size * groups;
  const k = r.int(0, 4);
  if (k === 0) {
    const sentences = [
      `There are ${total} students going on a trip.`,
      `Each bus holds ${size} students.`,
      'How many buses are needed?',
    ];
    return { sentences, ...calc(total, 'students', '/', size, 'students', 'buses', 'the number of buses') };
  }
  if (k === 1) {
    const thing = thingFrom(r, w, ['strawberries', 'eggs', 'apples', 'plums', 'potatoes']);
    const box = r.pick(['baskets', 'boxes', 'bags', 'cartons']);
    const sentences = [
      `${who.name} picks ${total} ${thing} and puts them into ${box} of ${size}.`,
      `How many ${box} does {he} fill?`,
    ];
    return { sentences, ...calc(total, thing, '/', size, thing, box, `the number of ${box}`) };
  }
  if (k === 2) {
    const weekly = r.int(2, 40);
    const goal = weekly * groups;
    const sentences = [
      `${who.name} saves ${money(r, weekly)} each week.`,
      `How many weeks will it take {him} to save ${money(r, goal)}?`,
    ];
    // `$96 / $8 = 12`, no unit word: a chain of mixed units is one the checker leaves unjudged.
    return { sentences, ...calc(goal, MONEY, '/', weekly, MONEY, '', 'the number of weeks') };
  }
  if (k === 3) {
    const sentences = [`${total} chairs are set out in rows of ${size}.`, 'How many rows are there?'];
    return { sentences, ...calc(total, 'chairs', '/', size, 'chairs', 'rows', 'the number of rows') };
  }
  const unit = r.pick(['cm', 'metres', 'm']);
  const sentences = [
    `A ${r.pick(['ribbon', 'rope', 'pipe'])} is ${total} ${unit} long.`,
    `${who.name} cuts it into pieces ${size} ${unit} long.`,
    'How many pieces does {he} get?',
  ];
  return { sentences, ...calc(total, unit, '/', size, unit, 'pieces', 'the number of pieces') };
};

/** A total shared equally: how much for each (a quotient). */
const EACH_GETS: Relation = (r, w, who) => {
  const n = r.int(2, 12);
  const each = r.int(2, 60);
  const total = n * each;
  if (r.chance(0.3)) {
    const sentences = [
      `${who.name} shares ${money(r, total)} equally among ${n} ${r.pick(['friends', 'children', 'cousins'])}.`,
      'How much does each one get?',
    ];
    return { sentences, ...calc(total, MONEY, '/', n, '', MONEY, 'the money each one gets') };
  }
  const thing = thingFrom(r, w, ['stickers', 'sweets', 'marbles', 'crayons', 'cards']);
  const [people, one] = r.pick([
    ['friends', 'friend'],
    ['students', 'student'],
    ['children', 'child'],
    ['teams', 'team'],
    ['tables', 'table'],
  ]);
  const sentences = [
    r.pick([
      `${who.name} shares ${total} ${thing} equally among ${n} ${people}.`,
      `${total} ${thing} are split equally between ${n} ${people}.`,
    ]),
    `How many ${thing} does each ${one} get?`,
  ];
  return { sentences, ...calc(total, thing, '/', n, '', thing, `the ${thing} each one gets`) };
};

/** A goal or a whole, and what is done or gone: a difference. */
const HOW_MANY_MORE: Relation = (r, w, who) => {
  const whole = r.int(30, 900);
  const part = r.int(5, whole - 5);
  const k = r.int(0, 3);
  if (k === 0) {
    const thing = thingFrom(r, w, ['cans', 'books', 'bottles', 'stamps']);
    const sentences = [
      `${who.name}'s class has collected ${part} ${thing}.`,
      r.pick([`Their goal is ${whole} ${thing}.`, `They want to collect ${whole} ${thing}.`]),
      `How many more ${thing} do they need?`,
    ];
    return { sentences, ...calc(whole, thing, '-', part, thing, thing, `the ${thing} still needed`) };
  }
  if (k === 1) {
    const sentences = [
      `A book has ${whole} pages.`,
      `${who.name} has read ${part} pages.`,
      'How many pages are left to read?',
    ];
    return { sentences, ...calc(whole, 'pages', '-', part, 'pages', 'pages', 'the pages left') };
  }
  if (k === 2) {
    const trees = r.int(20, 200);
    const down = r.int(2, trees - 2);
    const [verb, left] = r.pick([
      ['A storm knocks down', 'still standing'],
      ['A storm blows down', 'still standing'],
      ['Workers cut down', 'left'],
    ]);
    const sentences = [
      `A farm has ${trees} trees.`,
      `${verb} ${down} of them.`,
      `How many trees are ${left}?`,
    ];
    return { sentences, ...calc(trees, 'trees', '-', down, 'trees', 'trees', `the trees ${left}`) };
  }
  const tall = r.int(100, 190);
  const short = r.int(80, tall - 1);
  const other = someoneElse(r, who);
  const sentences = [
    `${who.name} is ${tall} cm tall and ${other} is ${short} cm tall.`,
    `How much taller is ${who.name}?`,
  ];
  return { sentences, ...calc(tall, 'cm', '-', short, 'cm', 'cm', 'the difference in height') };
};

/** Two amounts together: a sum. */
const TOGETHER: Relation = (r, w, who) => {
  const a = r.int(5, 500);
  const b = r.int(5, 500);
  if (r.chance(0.35)) {
    const [x, y] = [r.int(3, 80), r.int(3, 80)];
    const [i1, i2] = r.pick([
      ['a shirt', 'a cap'],
      ['a book', 'a pen'],
      ['a ball', 'a kite'],
      ['a lamp', 'a rug'],
    ]);
    const sentences = [
      `${cap(i1)} costs ${money(r, x)} and ${i2} costs ${money(r, y)}.`,
      `How much do they cost together?`,
    ];
    return { sentences, ...calc(x, MONEY, '+', y, MONEY, MONEY, 'the total cost') };
  }
  const thing = thingFrom(r, w, ['stamps', 'shells', 'tickets', 'cookies', 'visitors']);
  const other = someoneElse(r, who);
  const own = r.chance(0.5);
  const sentences = own
    ? [
        `${who.name} has ${a} ${thing} and ${other} has ${b} ${thing}.`,
        `How many ${thing} do they have together?`,
      ]
    : [
        `A shop sells ${a} ${thing} in the morning and ${b} in the afternoon.`,
        `How many ${thing} does it sell in all?`,
      ];
  return {
    sentences,
    ...calc(a, thing, '+', b, thing, thing, `the ${thing} in all`),
    follow: own ? { thing, told: `They put their ${thing} together.` } : undefined,
  };
};

const RELATIONS: Relation[] = [RATE_TIMES, RATE_TIMES, HOW_MANY_GROUPS, EACH_GETS, HOW_MANY_MORE, TOGETHER];

/**
 * One relation, and for a result the person owns, 40 % of the time one follow-up on it: some given
 * away or spent, or all of it shared equally.
 */
function single(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  const s = r.pick(RELATIONS)(r, w, who);
  const sentences = [...s.sentences];
  const result = p.calc(s.a, s.op, s.b, s.what, s.unit);
  const f = s.follow;
  if (s.repeat && r.chance(0.4)) {
    const k = r.int(2, 9);
    const last = sentences.length - 1;
    const { every, period, ask } = s.repeat;
    sentences[last - 1] = sentences[last - 1].replace(/\.$/, ` ${every} ${period}.`);
    sentences[last] = ask(k);
    p.calc(result, '*', given(k), `${s.what} in ${k} ${period}s`, s.unit);
  } else if (f && r.chance(0.4)) {
    sentences[sentences.length - 1] = f.told;
    const isMoney = f.thing === 'money';
    const divisors = [2, 3, 4, 5, 6, 8, 10].filter((d) => result.value % d === 0 && result.value / d > 1);
    if (divisors.length > 0 && r.chance(0.4)) {
      const k = r.pick(divisors);
      sentences.push(
        isMoney
          ? `{He} shares the money equally among ${k} people. How much does each one get?`
          : `{He} shares them equally among ${k} people. How many ${f.thing} does each one get?`,
      );
      p.calc(
        result,
        '/',
        given(k),
        isMoney ? 'the money each one gets' : `the ${f.thing} each one gets`,
        s.unit,
      );
    } else {
      const gone = r.int(1, Math.min(result.value - 1, 300));
      sentences.push(
        isMoney
          ? `{He} spends ${money(r, gone)} of it. How much money is left?`
          : `${gone} of the ${f.thing} are ${r.pick(['given away', 'sold', 'used', 'lost'])}. How many ${f.thing} are left?`,
      );
      p.calc(result, '-', given(gone, s.unit), isMoney ? 'the money left' : `the ${f.thing} left`, s.unit);
    }
  }
  return finish('single', who, sentences, p);
}

export const SINGLE_SCENARIOS: ((r: Rng, w: Wording) => Plan)[] = [single, single, single, single];
