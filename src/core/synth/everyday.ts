/**
 * Situations written the way people pose them: a count changed by verbs that say whether things
 * come or go ("sells", "donates", "get on"), how many days or trips a total takes at a rate,
 * amounts "for every" N units, and prices listed before what is bought. The verb, not a fixed template, decides each operation, so
 * a model has to read it. Same rules as scenarios.ts: every operand is a number the problem states
 * or an earlier result, and divisions are exact.
 */
import type { Rng } from './rng.ts';
import { MONEY, PlanBuilder, given, plain, type Plan, type Qty, type Unit } from './plan.ts';
import {
  andList,
  cap,
  finish,
  money,
  person,
  sample,
  sumAll,
  thingFrom,
  type Person,
  type Wording,
} from './kit.ts';

/** A verb in the present and the past tense. */
type Verb = [present: string, past: string];

interface Kind {
  things: readonly string[];
  /** Verbs that take things away: `{He} sells N.` */
  away: readonly Verb[];
  /** Verbs that bring things in: `{He} buys N more.` */
  more: readonly Verb[];
}

const FOOD: Kind = {
  things: ['cookies', 'muffins', 'apples', 'eggs', 'cupcakes', 'oranges', 'rolls', 'pears'],
  away: [
    ['eats', 'ate'],
    ['sells', 'sold'],
    ['gives away', 'gave away'],
    ['uses', 'used'],
    ['drops', 'dropped'],
    ['packs up and sends off', 'packed up and sent off'],
    ['throws away', 'threw away'],
    ['hands out', 'handed out'],
    ['shares out', 'shared out'],
  ],
  more: [
    ['bakes', 'baked'],
    ['buys', 'bought'],
    ['picks', 'picked'],
    ['gets', 'got'],
    ['makes', 'made'],
    ['brings home', 'brought home'],
    ['is given', 'was given'],
  ],
};

const THINGS: Kind = {
  things: ['marbles', 'stickers', 'cards', 'books', 'stamps', 'shells', 'beads', 'pencils', 'toys'],
  away: [
    ['loses', 'lost'],
    ['gives away', 'gave away'],
    ['sells', 'sold'],
    ['donates', 'donated'],
    ['trades away', 'traded away'],
    ['lends out', 'lent out'],
    ['returns', 'returned'],
    ['breaks', 'broke'],
    ['misplaces', 'misplaced'],
    ['throws away', 'threw away'],
    ['hands out', 'handed out'],
  ],
  more: [
    ['wins', 'won'],
    ['buys', 'bought'],
    ['finds', 'found'],
    ['gets', 'got'],
    ['receives', 'received'],
    ['collects', 'collected'],
    ['earns', 'earned'],
    ['orders', 'ordered'],
    ['is given', 'was given'],
  ],
};

/**
 * A shop or a school that keeps a stock, as people pose it: "A store had 1,250 bottles. It sold
 * 475 on Saturday and 390 on Sunday." (see events: "A store" first, "it" or "the store" after).
 */
const PLACES = ['store', 'shop', 'bakery', 'school', 'library', 'farm stand', 'cafe', 'warehouse'];
const STOCK: Kind = {
  things: [...FOOD.things, ...THINGS.things, 'bottles', 'notebooks', 'lamps', 'chairs'],
  away: [
    ['sells', 'sold'],
    ['gives away', 'gave away'],
    ['ships', 'shipped'],
    ['sends out', 'sent out'],
    ['hands out', 'handed out'],
  ],
  more: [
    ['receives', 'received'],
    ['orders', 'ordered'],
    ['gets', 'got'],
    ['buys', 'bought'],
  ],
};

/** When an event happens, after its number: `It sold 475 on Saturday`; one list, told in order. */
const DAYS = [
  'on Monday',
  'on Tuesday',
  'on Wednesday',
  'on Thursday',
  'on Friday',
  'on Saturday',
  'on Sunday',
];
const PARTS_OF_DAY = ['in the morning', 'in the afternoon', 'in the evening'];

/** People on a bus or at a party: they come and go on their own. */
interface Crowd {
  where: string;
  /** `where` with the article a question uses. */
  there: string;
  who: string;
  off: Verb;
  on: Verb;
  /** When the coming and going happens, with its comma, or ''. */
  when: string;
}

const CROWDS: Crowd[] = [
  {
    where: 'on a bus',
    there: 'on the bus',
    who: 'passengers',
    off: ['get off', 'got off'],
    on: ['get on', 'got on'],
    when: 'At the first stop, ',
  },
  {
    where: 'on a train',
    there: 'on the train',
    who: 'people',
    off: ['leave', 'left'],
    on: ['board', 'boarded'],
    when: 'At the next station, ',
  },
  {
    where: 'at a party',
    there: 'at the party',
    who: 'guests',
    off: ['go home', 'went home'],
    on: ['arrive', 'arrived'],
    when: '',
  },
  {
    where: 'in a library',
    there: 'in the library',
    who: 'visitors',
    off: ['leave', 'left'],
    on: ['come in', 'came in'],
    when: 'In the next hour, ',
  },
  {
    where: 'in an orchard',
    there: 'in the orchard',
    who: 'trees',
    off: ['blow down', 'blew down'],
    on: ['are planted', 'were planted'],
    when: 'After the storm, ',
  },
  {
    where: 'in a car park',
    there: 'in the car park',
    who: 'cars',
    off: ['drive away', 'drove away'],
    on: ['park', 'parked'],
    when: 'An hour later, ',
  },
  {
    where: 'on a pond',
    there: 'on the pond',
    who: 'ducks',
    off: ['fly away', 'flew away'],
    on: ['land', 'landed'],
    when: '',
  },
  {
    where: 'at a pool',
    there: 'at the pool',
    who: 'swimmers',
    off: ['get out', 'got out'],
    on: ['join', 'joined'],
    when: '',
  },
];

/** A clause as the start of a sentence: `{he} sells` becomes `{He} sells`. */
const opening = (s: string): string => (s.startsWith('{he}') ? `{He}${s.slice(4)}` : cap(s));

/** A start amount, then one to three verbs that add or take away. */
function events(r: Rng, w: Wording): Plan {
  const p = new PlanBuilder();
  const past = r.chance(0.4);
  const tense = (v: Verb): string => (past ? v[1] : v[0]);
  const sentences: string[] = [];
  const crowd = r.chance(0.2) ? r.pick(CROWDS) : null;
  const place = !crowd && w === 'varied' && r.chance(0.2) ? r.pick(PLACES) : null;
  const kind = place ? STOCK : r.chance(0.5) ? FOOD : THINGS;
  const thing = crowd ? crowd.who : thingFrom(r, w, kind.things);
  const who: Person = place ? { name: `the ${place}`, he: 'it', his: 'its' } : person(r, w);
  // A place is "a store" where the problem first names it and "the store" or "it" after that.
  const named = place ? `A ${place}` : who.name;
  const unit = plain(thing);
  let cur: Qty;
  let box = '';
  if (!crowd && r.chance(0.35)) {
    const n = r.int(2, 12);
    const per = r.int(6, 40);
    box = r.pick(['boxes', 'shelves', 'bags', 'trays', 'jars', 'baskets']);
    sentences.push(
      r.pick([
        `${named} ${past ? 'had' : 'has'} ${n} ${box} with ${per} ${thing} in each.`,
        `${named} ${past ? 'filled' : 'fills'} ${n} ${box} with ${per} ${thing} each.`,
        `${named} ${past ? 'had' : 'has'} ${n} ${box} of ${thing}. Each one ${past ? 'held' : 'holds'} ${per}.`,
        // The amount in each before the number of boxes, and "each of the".
        `${named} ${past ? 'had' : 'has'} ${per} ${thing} in each of ${n} ${box}.`,
        `${named} ${past ? 'had' : 'has'} ${n} ${box}. Each of the ${box} ${past ? 'held' : 'holds'} ${per} ${thing}.`,
      ]),
    );
    cur = p.calc(given(n), '*', given(per), `the ${thing} in the ${box}`, unit);
  } else {
    const start = r.int(20, 500);
    sentences.push(
      crowd
        ? `There ${past ? 'were' : 'are'} ${start} ${thing} ${crowd.where}.`
        : r.pick([
            `${named} ${past ? 'had' : 'has'} ${start} ${thing}.`,
            `${named} ${past ? 'started' : 'starts'} the day with ${start} ${thing}.`,
          ]),
    );
    cur = given(start, unit);
  }
  const count = r.int(p.steps.length > 0 ? 1 : 2, 3);
  const said: string[] = [];
  // Two or more events of one direction may be added up first ("475 + 390 = 865 sold, then
  // 1250 - 865"), as people often solve it; the verbs still decide the last operation.
  const together = count >= 2 && cur.value > 4 * count && r.chance(0.35);
  const allAway = r.chance(0.6);
  const parts: Qty[] = [];
  const times = r.chance(0.3) ? PARTS_OF_DAY : DAYS;
  const day = r.int(0, times.length - count);
  let added = false;
  for (let i = 0; i < count; i++) {
    const away = together ? allAway : cur.value > 2 && r.chance(0.6);
    const room = Math.floor((cur.value - 1 - parts.reduce((t, q) => t + q.value, 0)) / (count - i));
    const n = away ? r.int(1, Math.min(together ? room : cur.value - 1, 300)) : r.int(1, 200);
    const op = away ? '-' : '+';
    added ||= !away;
    const verb = tense(crowd ? (away ? crowd.off : crowd.on) : r.pick(away ? kind.away : kind.more));
    const when = r.pick(['', '', 'in the morning ', 'later ', 'at lunch ', 'on Friday ']);
    const after = ` ${times[day + i]}`;
    said.push(
      crowd
        ? r.pick([`${n} ${verb}`, `${n} ${thing} ${verb}`])
        : r.pick([
            `{he} ${verb} ${n}${away ? '' : ' more'}`,
            `{he} ${verb} ${n} ${thing}`,
            `${when}{he} ${verb} ${n}${away ? ` of them` : ''}`.trim(),
            `{he} ${verb} ${n}${r.chance(0.5) ? ` ${thing}` : ''}${after}`,
          ]),
    );
    if (together) parts.push(given(n, unit));
    else cur = p.calc(cur, op, given(n, unit), `the ${thing} ${away ? 'left' : 'now'}`, unit);
  }
  if (together) {
    const moved = allAway ? 'gone' : 'added';
    const sum = sumAll(p, parts, `the ${thing} ${moved} so far`, `the ${thing} ${moved} in all`);
    cur = p.calc(cur, allAway ? '-' : '+', sum, `the ${thing} ${allAway ? 'left' : 'now'}`, unit);
  }
  const stops = crowd && r.chance(0.6) ? crowd.when : '';
  sentences.push(
    count === 1
      ? opening(`${stops}${said[0]}.`)
      : r.chance(0.5)
        ? opening(`${stops}${said.slice(0, -1).join(', ')} and then ${said[said.length - 1]}.`)
        : said
            .map((s, i) => opening(`${i === 0 ? stops : r.pick(['Then ', 'After that, ', 'Later, '])}${s}.`))
            .join(' '),
  );
  if (!crowd && cur.value > 4 && r.chance(0.3)) {
    const divisors = [2, 3, 4, 5, 6, 8, 10].filter((d) => cur.value % d === 0 && cur.value / d > 1);
    if (divisors.length > 0) {
      const k = r.pick(divisors);
      sentences.push(`{He} puts the rest into ${k} equal piles.`);
      p.calc(cur, '/', given(k), `the ${thing} in each pile`, unit);
      return finish('events', who, [...sentences, `How many ${thing} are in each pile?`], p);
    }
  }
  const question = crowd
    ? r.pick([`How many ${thing} are ${crowd.there} now?`, `How many ${thing} are there now?`])
    : r.pick([
        `How many ${thing} does {he} have now?`,
        `How many ${thing} ${past ? 'did {he} have' : 'does {he} have'} in the end?`,
        `How many ${thing} are left?`,
        // Only when nothing came in: "still" asks what is left of what there was.
        ...(w === 'varied' && !added
          ? [
              box ? `How many ${thing} are still in the ${box}?` : `How many ${thing} remain?`,
              `How many ${thing} does {he} still have?`,
            ]
          : []),
      ]);
  return finish('events', who, [...sentences, question], p);
}

/** Writes a number as the rate's amounts are written: `$12` or `12`. */
type Show = (n: number) => string;

interface Rate {
  /** The amount's unit word (`pages`), or money. */
  amount: string;
  money: boolean;
  /** What the division counts. */
  unit: string;
  rate: (n: string) => string;
  total: (t: string) => string;
  parts: (a: string, b: string) => string;
  /** The amount as a count times a size (`n` a plain count, `k` written as amounts are). */
  each: (n: number, k: string) => string;
  done: (h: string) => string;
  ask: (rest: boolean) => string;
  lo: number;
  hi: number;
}

const RATES: Rate[] = [
  {
    amount: 'pages',
    money: false,
    unit: 'days',
    rate: (n) => `reads ${n} pages a day`,
    total: (t) => `{His} book has ${t} pages.`,
    parts: (a, b) => `{His} book has two parts, of ${a} and ${b} pages.`,
    each: (n, k) => `{He} has ${n} chapters of ${k} pages each to read.`,
    done: (h) => `{He} has already read ${h} pages.`,
    ask: (rest) =>
      rest ? 'How many more days does {he} need?' : 'How many days does {he} need to finish it?',
    lo: 5,
    hi: 60,
  },
  {
    amount: 'dollars',
    money: true,
    unit: 'weeks',
    rate: (n) => `saves ${n} a week`,
    total: (t) => `{He} wants a bike that costs ${t}.`,
    parts: (a, b) => `{He} wants a bike for ${a} and a helmet for ${b}.`,
    each: (n, k) => `{He} wants ${n} games that cost ${k} each.`,
    done: (h) => `{He} already has ${h}.`,
    ask: (rest) =>
      rest ? 'How many more weeks does {he} need to save?' : 'How many weeks does {he} need to save?',
    lo: 3,
    hi: 40,
  },
  {
    amount: 'km',
    money: false,
    unit: 'days',
    rate: (n) => `walks ${n} km a day`,
    total: (t) => `The trail is ${t} km long.`,
    parts: (a, b) => `The trail has two parts, ${a} km and ${b} km long.`,
    each: (n, k) => `The trail has ${n} parts of ${k} km each.`,
    done: (h) => `{He} has already walked ${h} km of it.`,
    ask: (rest) => (rest ? 'How many more days of walking are left?' : 'How many days does the walk take?'),
    lo: 4,
    hi: 30,
  },
  {
    amount: 'boxes',
    money: false,
    unit: 'trips',
    rate: (n) => `can carry ${n} boxes in one trip`,
    total: (t) => `There are ${t} boxes to move.`,
    parts: (a, b) => `There are ${a} boxes in the kitchen and ${b} in the garage.`,
    each: (n, k) => `There are ${n} shelves with ${k} boxes on each.`,
    done: (h) => `${h} boxes are already moved.`,
    ask: (rest) => (rest ? 'How many more trips are needed?' : 'How many trips are needed?'),
    lo: 3,
    hi: 25,
  },
  {
    amount: 'eggs',
    money: false,
    unit: 'cartons',
    rate: (n) => `packs ${n} eggs in each carton`,
    total: (t) => `{His} hens lay ${t} eggs this week.`,
    parts: (a, b) => `{His} hens lay ${a} eggs on Monday and ${b} on Tuesday.`,
    each: (n, k) => `{His} ${n} hens lay ${k} eggs each this month.`,
    done: (h) => `${h} of them are sold loose first.`,
    ask: () => 'How many cartons does {he} fill?',
    lo: 6,
    hi: 30,
  },
  {
    amount: 'chairs',
    money: false,
    unit: 'rows',
    rate: (n) => `sets out ${n} chairs in each row`,
    total: (t) => `The hall needs ${t} chairs.`,
    parts: (a, b) => `The hall has ${a} chairs on one side and ${b} on the other.`,
    each: (n, k) => `${n} classes come, with ${k} children in each, and every child needs a chair.`,
    done: (h) => `${h} of the chairs are kept for the stage.`,
    ask: () => 'How many rows are there?',
    lo: 5,
    hi: 40,
  },
];

/** How many days, weeks, trips or cartons an amount takes at a rate: a division last. */
function howMany(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  const rate = r.pick(RATES);
  const per = r.int(rate.lo, rate.hi);
  const total = per * r.int(2, 40);
  const u: Unit = rate.money ? MONEY : plain(rate.amount);
  const show: Show = (n) => (rate.money ? money(r, n) : String(n));
  const sentences = [`${who.name} ${rate.rate(show(per))}.`];
  let all: Qty;
  let rest = false;
  const mode = r.int(0, 2);
  const sizes = [2, 3, 4, 5, 6, 8, 10, 12, 15, 20].filter((k) => total % k === 0 && total / k > 1);
  if (mode === 2 && sizes.length > 0) {
    const k = r.pick(sizes);
    sentences.push(rate.each(total / k, show(k)));
    all = p.calc(given(total / k), '*', given(k, u), `the ${rate.amount} in all`, u);
  } else if (mode === 1) {
    const have = r.int(1, 200);
    sentences.push(rate.total(show(total + have)), rate.done(show(have)));
    all = p.calc(given(total + have, u), '-', given(have, u), `the ${rate.amount} still to go`, u);
    rest = true;
  } else {
    const first = r.int(1, total - 1);
    sentences.push(rate.parts(show(first), show(total - first)));
    all = p.calc(given(first, u), '+', given(total - first, u), `the ${rate.amount} in all`, u);
  }
  // `$96 / $12 = 8`, not `= 8 weeks`: a chain of mixed units is one the checker leaves unjudged.
  p.calc(all, '/', given(per, u), `the number of ${rate.unit}`, plain(rate.money ? undefined : rate.unit));
  return finish('how-many', who, [...sentences, rate.ask(rest)], p);
}

/** `uses A things for every B units; how many for C units`: C / B, then times A. */
const PER_EVERY: {
  says: (name: string, a: number, b: number) => string;
  ask: (c: number) => string;
  thing: string;
  per: string;
}[] = [
  {
    says: (n, a, b) => `${n}'s car uses ${a} litres of fuel for every ${b} km.`,
    ask: (c) => `How many litres does it use on a ${c} km trip?`,
    thing: 'litres',
    per: 'km',
  },
  {
    says: (n, a, b) => `${n}'s recipe needs ${a} cups of flour for every ${b} cookies.`,
    ask: (c) => `How many cups of flour does {he} need for ${c} cookies?`,
    thing: 'cups',
    per: 'cookies',
  },
  {
    says: (n, a, b) => `${n} earns ${a} points for every ${b} laps {he} swims.`,
    ask: (c) => `How many points does {he} earn for ${c} laps?`,
    thing: 'points',
    per: 'laps',
  },
  {
    says: (n, a, b) => `${n}'s school gives ${a} tickets for every ${b} students.`,
    ask: (c) => `How many tickets do ${c} students get?`,
    thing: 'tickets',
    per: 'students',
  },
  {
    says: (n, a, b) => `${n}'s printer prints ${a} pages every ${b} minutes.`,
    ask: (c) => `How many pages does it print in ${c} minutes?`,
    thing: 'pages',
    per: 'minutes',
  },
];

function perEvery(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  const it = r.pick(PER_EVERY);
  const a = r.int(2, 30);
  const b = r.pick([2, 3, 4, 5, 6, 10, 12, 20, 50, 100]);
  const c = b * r.int(2, 15);
  const times = p.calc(
    given(c, plain(it.per)),
    '/',
    given(b, plain(it.per)),
    `the groups of ${b} ${it.per}`,
    plain(),
  );
  p.calc(times, '*', given(a, plain(it.thing)), `the ${it.thing} needed`, plain(it.thing));
  return finish('per-every', who, [it.says(who.name, a, b), it.ask(c)], p);
}

/** Prices first, then quantities: `A pen costs $2 and a pad costs $5. Leo buys 3 pens and 2 pads.` */
function priceList(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  const items = sample(
    r,
    [
      ['box of crayons', 'boxes of crayons'],
      ['sketchbook', 'sketchbooks'],
      ['notebook', 'notebooks'],
      ['pen', 'pens'],
      ['ticket', 'tickets'],
      ['sandwich', 'sandwiches'],
      ['bottle of juice', 'bottles of juice'],
      ['plant', 'plants'],
      ['ball', 'balls'],
      ['kite', 'kites'],
    ],
    r.int(2, 3),
  ).map(([one, many]) => ({ one, many, price: r.int(2, 30), n: r.int(2, 9) }));
  const prices = items.map((it) =>
    r.pick([`a ${it.one} costs ${money(r, it.price)}`, `one ${it.one} is ${money(r, it.price)}`]),
  );
  const buys = items.map((it) => `${it.n} ${it.many}`);
  const sentences = [
    cap(`${andList(prices)}.`),
    r.pick([`${who.name} buys ${andList(buys)}.`, `${who.name} orders ${andList(buys)}.`]),
  ];
  const costs = items.map((it) =>
    p.calc(given(it.n), '*', given(it.price, MONEY), `the cost of the ${it.many}`, MONEY),
  );
  const total = sumAll(p, costs, 'the cost so far', 'the total cost');
  let question = r.pick(['What is the total?', 'How much does {he} pay?', 'How much does it all cost?']);
  if (r.chance(0.5)) {
    const bill = [20, 50, 100, 200, 500].find((b) => b > total.value) ?? total.value + 100;
    sentences.push(`{He} pays with ${money(r, bill)}.`);
    p.calc(given(bill, MONEY), '-', total, `${who.his} change`, MONEY);
    question = 'How much change does {he} get?';
  }
  return finish('price-list', who, [...sentences, question], p);
}

/** Drawn from alongside scenarios.ts's situations; verbs decide most operations people meet. */
export const EVERYDAY: ((r: Rng, w: Wording) => Plan)[] = [events, events, howMany, priceList, perEvery];
