/**
 * Situations for the synthetic word problems: shopping, money, time, distance, rates, sharing,
 * recipes and collections (the varied wording adds groups, combine and everyday.ts). Each
 * scenario writes a problem in one of several phrasings and records the computations that solve
 * it (see plan.ts). Numbers stay modest (operands of 1-3 digits, one small factor in products,
 * exact divisions) so a small model can learn to check them.
 * Every operand of a correct solution is a number the problem states or an earlier result; only
 * implied.ts states numbers in words ("twice", "two weeks" for 2 x 7 days).
 */
import type { Rng } from './rng.ts';
import { MONEY, PlanBuilder, given, plain, type Plan, type Qty } from './plan.ts';
import { PLURAL_NOUNS } from './words.ts';
import { EVERYDAY } from './everyday.ts';
import { IMPLIED_SCENARIOS } from './implied.ts';
import { SINGLE_SCENARIOS } from './single.ts';
import { andList, finish, money, person, sample, sumAll, thingFrom, type Wording } from './kit.ts';

const ITEMS: [string, number, number][] = [
  ['pens', 1, 9],
  ['notebooks', 2, 15],
  ['apples', 1, 5],
  ['books', 6, 40],
  ['shirts', 8, 45],
  ['candles', 2, 18],
  ['mugs', 3, 20],
  ['tickets', 5, 60],
  ['plants', 4, 35],
  ['towels', 3, 25],
  ['sandwiches', 3, 12],
  ['batteries', 1, 8],
];

/** Things bought one at a time, with a price range. */
const SINGLES: [string, [number, number]][] = [
  ['a backpack', [15, 60]],
  ['a lamp', [10, 45]],
  ['a poster', [3, 15]],
  ['a clock', [8, 40]],
  ['a water bottle', [4, 20]],
  ['a board game', [12, 50]],
];

function shopping(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const kinds = sample(r, ITEMS, r.int(1, 4)).map(([item, lo, hi]) => ({
    item: w === 'varied' && r.chance(0.35) ? r.pick(PLURAL_NOUNS) : item,
    n: r.int(2, 9),
    price: r.int(lo, hi),
  }));
  const p = new PlanBuilder();
  const costs = kinds.map((k) =>
    p.calc(given(k.n), '*', given(k.price, MONEY), `the cost of the ${k.item}`, MONEY),
  );
  const lists = kinds.map((k) =>
    r.pick([
      `${k.n} ${k.item} for ${money(r, k.price)} each`,
      `${k.n} ${k.item} at ${money(r, k.price)} each`,
    ]),
  );
  // One thing bought singly is added as it is: `... and a backpack for $25`.
  if (w === 'varied' && r.chance(0.3)) {
    const [single, price] = r.pick(SINGLES);
    const cost = r.int(price[0], price[1]);
    lists.push(`${single} for ${money(r, cost)}`);
    costs.push(given(cost, MONEY));
  }
  const list = andList(lists);
  // The varied wording also tells it in the past ("Nina had $60. She bought ..."), as people do.
  const past = w === 'varied' && r.chance(0.35);
  const t = (present: string, then: string): string => (past ? then : present);
  const opening = r.pick([
    `${who.name} ${t('buys', 'bought')} ${list}.`,
    `At the store, ${who.name} ${t('buys', 'bought')} ${list}.`,
    `${who.name} ${t('goes', 'went')} shopping and ${t('gets', 'got')} ${list}.`,
  ]);
  let total = sumAll(p, costs, 'the cost so far', 'the total cost');
  const sentences = [opening];
  let question = r.pick([
    t('How much does {he} spend in total?', 'How much did {he} spend in total?'),
    'What is the total cost?',
  ]);
  const coupon = r.chance(kinds.length === 1 ? 0.6 : 0.3) && total.value > 10;
  if (coupon) {
    const off = r.int(1, Math.min(30, total.value - 1));
    sentences.push(
      r.pick([
        `{He} ${t('has', 'had')} a coupon for ${money(r, off)} off.`,
        `The shop ${t('takes', 'took')} ${money(r, off)} off the bill.`,
      ]),
    );
    total = p.calc(total, '-', given(off, MONEY), 'the price after the discount', MONEY);
    question = r.pick([
      t('How much does {he} pay?', 'How much did {he} pay?'),
      'How much does {he} pay after the discount?',
    ]);
  }
  const budget = w === 'varied' && r.chance(0.3);
  if (budget) {
    // Money to start with, stated first: what is left is that money less the total.
    const start = total.value + r.int(1, 150);
    sentences.unshift(`${who.name} ${t('has', 'had')} ${money(r, start)}.`);
    // The opening now follows the name: it says "{He} buys" or "At the store, {he} buys".
    const opened = sentences[1];
    sentences[1] = opened.startsWith(`${who.name} `)
      ? `{He} ${opened.slice(who.name.length + 1)}`
      : opened.replace(`, ${who.name} `, ', {he} ');
    p.calc(given(start, MONEY), '-', total, 'the money left', MONEY);
    question = r.pick([
      t('How much money does {he} have left?', 'How much money did {he} have left?'),
      'How much money does {he} have now?',
      'How much is left?',
    ]);
  } else if (r.chance(0.5) || p.steps.length < 2) {
    const bill = [10, 20, 50, 100, 200, 500, 1000].find((b) => b > total.value) ?? total.value + 100;
    sentences.push(
      r.pick([
        `{He} ${t('pays', 'paid')} with a ${money(r, bill)} bill.`,
        `{He} ${t('hands', 'handed')} the cashier ${money(r, bill)}.`,
      ]),
    );
    p.calc(given(bill, MONEY), '-', total, `${who.his} change`, MONEY);
    question = r.pick([
      t('How much change does {he} get?', 'How much change did {he} get?'),
      'How much money does {he} get back?',
    ]);
  }
  return finish('shopping', who, [...sentences, question], p);
}

function savings(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  const start = r.int(10, 400);
  const wage = r.int(5, 90);
  const weeks = r.int(2, 9);
  const job = r.pick(['walking dogs', 'babysitting', 'mowing lawns', 'tutoring', 'washing cars']);
  // People also save from nothing and tell the weeks with what happens after them: "Ben saves
  // $12 a week. After 6 weeks he spends $45 on a game."
  const fromZero = w === 'varied' && r.chance(0.3);
  const sentences = fromZero
    ? [
        r.pick([
          `${who.name} saves ${money(r, wage)} a week.`,
          `${who.name} puts away ${money(r, wage)} each week.`,
          `${who.name} earns ${money(r, wage)} a week ${job} and saves it all.`,
        ]),
      ]
    : [
        r.pick([
          `${who.name} has ${money(r, start)} saved.`,
          `${who.name} starts with ${money(r, start)} in ${who.his} piggy bank.`,
        ]),
        r.pick([
          `{He} earns ${money(r, wage)} a week ${job} for ${weeks} weeks.`,
          `For ${weeks} weeks {he} makes ${money(r, wage)} each week ${job}.`,
        ]),
      ];
  const earned = p.calc(given(wage, MONEY), '*', given(weeks), 'the money earned', MONEY);
  let have = fromZero ? earned : p.calc(given(start, MONEY), '+', earned, `the money ${who.he} has`, MONEY);
  let question = fromZero
    ? `How much money does {he} have after ${weeks} weeks?`
    : 'How much money does {he} have now?';
  const after = fromZero ? `After ${weeks} weeks${r.pick(['', ','])} ` : '';
  if (r.chance(0.4)) {
    const gift = r.int(5, 100);
    sentences.push(
      after
        ? `${after}{his} aunt gives {him} ${money(r, gift)}.`
        : r.pick([
            `{His} aunt gives {him} ${money(r, gift)}.`,
            `{He} also gets ${money(r, gift)} as a gift.`,
          ]),
    );
    have = p.calc(have, '+', given(gift, MONEY), 'the money with the gift', MONEY);
  }
  if (r.chance(fromZero ? 0.9 : 0.8)) {
    const thing =
      w === 'varied' && r.chance(0.4)
        ? `some ${r.pick(PLURAL_NOUNS)}`
        : r.pick(['a bike', 'a game', 'a jacket', 'a guitar', 'a watch']);
    let split = r.chance(0.5) ? r.int(2, 6) : 0;
    if (split && Math.floor((have.value - 1) / split) < 1) split = 0;
    const spend = split
      ? have.value - split * r.int(1, Math.floor((have.value - 1) / split))
      : r.int(1, have.value - 1);
    sentences.push(
      after && sentences.length === 1
        ? `${after}{he} spends ${money(r, spend)} on ${thing}.`
        : r.pick([
            `{He} spends ${money(r, spend)} on ${thing}.`,
            `Then {he} buys ${thing} for ${money(r, spend)}.`,
          ]),
    );
    const left = p.calc(have, '-', given(spend, MONEY), `the money left after buying ${thing}`, MONEY);
    question = r.pick([
      'How much money does {he} have left?',
      'How much is left?',
      ...(w === 'varied' ? ['How much does {he} have left?'] : []),
    ]);
    if (split && left.value % split === 0) {
      sentences.push(`{He} splits the rest equally among ${split} jars.`);
      p.calc(left, '/', given(split), 'the money in each jar', MONEY);
      question = 'How much money goes in each jar?';
    }
  }
  return finish('money', who, [...sentences, question], p);
}

function time(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  const min = plain('minutes');
  const activities = ['piano', 'reading', 'homework', 'running', 'drawing', 'chess'];
  if (w === 'varied') activities.push('swimming', 'violin', 'yoga', 'coding', 'gardening', 'French');
  const tasks = sample(r, activities, r.int(1, 3)).map((t) => ({
    t,
    m: r.int(5, 60),
    d: r.int(2, 9),
  }));
  const sentences = tasks.map(({ t, m, d }) =>
    r.pick([
      `${who.name} spends ${m} minutes on ${t} each day for ${d} days.`,
      `For ${d} days, ${who.name} does ${m} minutes of ${t} a day.`,
      `${who.name} practices ${t} for ${m} minutes a day, ${d} days in a row.`,
    ]),
  );
  const parts = tasks.map(({ t, m, d }) => p.calc(given(m, min), '*', given(d), `the minutes of ${t}`, min));
  const total = sumAll(p, parts, 'the minutes so far', 'the total minutes');
  let question = r.pick(['How many minutes is that in total?', 'How many minutes does {he} spend in all?']);
  if (r.chance(0.5) || p.steps.length < 2) {
    const budget = total.value + r.int(5, 300);
    sentences.push(
      r.pick([`{He} planned ${budget} minutes in total.`, `{His} plan allowed ${budget} minutes.`]),
    );
    p.calc(given(budget, min), '-', total, 'the minutes left over', min);
    question = r.pick(['How many minutes of the plan are left?', 'How many planned minutes are not used?']);
  }
  return finish('time', who, [...sentences, question], p);
}

function distance(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  const km = plain('km');
  const legs = Array.from({ length: r.int(1, 3) }, () => ({ v: r.int(3, 12) * 10, h: r.int(1, 6) }));
  const vehicle = r.pick(['drives', 'rides the bus', 'travels']);
  const sentences = legs.map(({ v, h }, i) =>
    r.pick([
      `${i === 0 ? who.name : 'Then {he}'} ${vehicle} at ${v} km per hour for ${h} hours.`,
      `${i === 0 ? `${who.name} goes` : 'Next {he} goes'} ${v} km an hour for ${h} hours.`,
    ]),
  );
  const parts = legs.map(({ v, h }, i) =>
    p.calc(given(v, km), '*', given(h), `the distance of part ${i + 1}`, km),
  );
  const total = sumAll(p, parts, 'the distance so far', 'the total distance');
  let question = r.pick(['How many km does {he} travel?', 'How far does {he} go in total?']);
  if (r.chance(0.6) || p.steps.length < 2) {
    const goal = total.value + r.int(10, 400);
    sentences.unshift(`The city ${who.name} is going to is ${goal} km away.`);
    p.calc(given(goal, km), '-', total, 'the distance still to go', km);
    question = r.pick(['How many km are left?', 'How far does {he} still have to go?']);
  }
  return finish('distance', who, [...sentences, question], p);
}

function rates(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  const [thing, place] = r.pick([
    ['loaves', 'bakery'],
    ['toys', 'factory'],
    ['cups', 'shop'],
    ['boxes', 'warehouse'],
  ]);
  const perHour = r.int(4, 60);
  const hours = r.int(2, 9);
  const sentences = [
    r.pick([
      `A machine at ${who.name}'s ${place} makes ${perHour} ${thing} an hour. It runs for ${hours} hours.`,
      `${who.name}'s ${place} produces ${perHour} ${thing} per hour for ${hours} hours.`,
    ]),
  ];
  let made = p.calc(given(perHour), '*', given(hours), `the ${thing} made`, plain(thing));
  let question = `How many ${thing} are made?`;
  if (r.chance(0.5)) {
    const machines = r.int(2, 5);
    sentences.push(`There are ${machines} such machines.`);
    made = p.calc(made, '*', given(machines), `the ${thing} from all machines`, plain(thing));
  }
  if (r.chance(0.4)) {
    const broken = r.int(1, Math.min(40, made.value - 1));
    sentences.push(`${broken} of them are broken and thrown away.`);
    made = p.calc(made, '-', given(broken), `the good ${thing}`, plain(thing));
  }
  const divisors = [2, 3, 4, 5, 6, 8, 10, 12].filter((d) => made.value % d === 0);
  if (divisors.length > 0 && (r.chance(0.8) || p.steps.length < 2)) {
    const size = r.pick(divisors);
    sentences.push(`They are packed ${size} to a crate.`);
    const crates = p.calc(made, '/', given(size), 'the number of crates', plain('crates'));
    question = 'How many crates are filled?';
    if (r.chance(0.5) && crates.value < 2000) {
      const price = r.int(2, 9);
      sentences.push(`Each crate sells for ${money(r, price)}.`);
      p.calc(crates, '*', given(price, MONEY), 'the money from the crates', MONEY);
      question = 'How much money do the crates bring in?';
    }
  }
  if (p.steps.length < 2) return rates(r, w);
  return finish('rates', who, [...sentences, question], p);
}

function sharing(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  const thing = thingFrom(r, w, ['cookies', 'marbles', 'stickers', 'cards', 'candies', 'pencils']);
  const people = r.int(2, 9);
  const each = r.int(3, 40);
  const all = people * each;
  const perBox = r.int(3, 12);
  const boxes = Math.max(1, Math.floor((all - 1) / perBox) - r.int(0, 2));
  const extra = all - boxes * perBox;
  if (boxes < 2 || extra < 1) return sharing(r, w);
  const sentences = [
    r.pick([
      `${who.name} has ${boxes} boxes of ${thing} with ${perBox} in each box.`,
      `${who.name} has ${boxes} bags of ${thing}, and each bag holds ${perBox}.`,
      ...(w === 'varied'
        ? [
            `${who.name} buys ${boxes} bags of ${thing}. Each bag holds ${perBox} ${thing}.`,
            `A box holds ${perBox} ${thing}, and ${who.name} has ${boxes} boxes.`,
          ]
        : []),
    ]),
    r.pick([`{He} finds ${extra} more ${thing}.`, `A friend gives {him} ${extra} more.`]),
    r.pick([
      `{He} shares all of them equally among ${people} children.`,
      `The ${thing} are split evenly between ${people} friends.`,
    ]),
  ];
  const inBoxes = p.calc(given(boxes), '*', given(perBox), `the ${thing} in the boxes`, plain(thing));
  const total = p.calc(inBoxes, '+', given(extra), `the total ${thing}`, plain(thing));
  const share = p.calc(total, '/', given(people), `the ${thing} each one gets`, plain(thing));
  let question = r.pick(['How many does each one get?', `How many ${thing} does each one get?`]);
  if (r.chance(0.5)) {
    const eat = r.int(1, share.value - 1);
    if (eat >= 1 && share.value > 1) {
      sentences.push(`Each one then uses ${eat} of them.`);
      p.calc(share, '-', given(eat), `the ${thing} each one has left`, plain(thing));
      question = `How many ${thing} does each one have left?`;
    }
  }
  return finish('sharing', who, [...sentences, question], p);
}

function recipes(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  const g = plain('grams');
  const serves = r.int(2, 8);
  const factor = r.int(2, 6);
  const flour = r.int(5, 60) * 10;
  const sugar = r.int(2, 30) * 10;
  const dish = r.pick(['pancakes', 'a cake', 'muffins', 'bread', 'cookies']);
  // Amounts for one item multiply straight away; amounts for a number of people scale by a
  // division first. The varied wording has both, so neither is read from "grams of flour" alone.
  const perOne = w === 'varied' && r.chance(0.35);
  const [one, many] = r.pick([
    ['loaf', 'loaves'],
    ['cake', 'cakes'],
    ['pie', 'pies'],
    ['tray of cookies', 'trays of cookies'],
  ]);
  const sentences = perOne
    ? [
        r.pick([
          `A baker uses ${flour} grams of flour and ${sugar} grams of sugar for each ${one}.`,
          `Each ${one} needs ${flour} grams of flour and ${sugar} grams of sugar.`,
        ]),
        r.pick([
          `${who.name} bakes ${factor * 2} ${many}.`,
          `${who.name} wants to make ${factor * 2} ${many}.`,
        ]),
      ]
    : [
        r.pick([
          `A recipe for ${dish} serves ${serves} people and uses ${flour} grams of flour and ${sugar} grams of sugar.`,
          `To make ${dish} for ${serves} people you need ${flour} grams of flour and ${sugar} grams of sugar.`,
        ]),
        r.pick([
          `${who.name} wants to make it for ${serves * factor} people.`,
          `${who.name} is cooking for ${serves * factor} guests.`,
        ]),
      ];
  const times = perOne
    ? given(factor * 2)
    : p.calc(given(serves * factor), '/', given(serves), 'how many times the recipe is made', plain());
  const f = p.calc(times, '*', given(flour, g), 'the flour needed', g);
  let question = 'How many grams of flour are needed?';
  if (r.chance(0.6)) {
    const s = p.calc(times, '*', given(sugar, g), 'the sugar needed', g);
    if (r.chance(0.5)) {
      p.calc(f, '+', s, 'the flour and sugar together', g);
      question = 'How many grams of flour and sugar are needed together?';
    } else question = 'How many grams of sugar are needed?';
  } else if (w === 'varied' && r.chance(0.4)) {
    const has = f.value + r.int(1, 500);
    sentences.push(
      r.pick([`{He} has a bag with ${has} grams of flour.`, `There are ${has} grams of flour in the jar.`]),
    );
    p.calc(given(has, g), '-', f, 'the flour left', g);
    question = r.pick(['How much flour is left?', 'How many grams of flour are left over?']);
  } else if (r.chance(0.7)) {
    const has = r.int(1, f.value - 1);
    sentences.push(`{He} has ${has} grams of flour.`);
    p.calc(f, '-', given(has, g), 'the extra flour to buy', g);
    question = 'How many more grams of flour does {he} need?';
  }
  return finish('recipes', who, [...sentences, question], p);
}

function collection(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  const thing = thingFrom(r, w, ['stamps', 'shells', 'coins', 'comics', 'stickers', 'beads']);
  const start = r.int(20, 900);
  const away = r.int(1, start - 1);
  const packs = r.int(2, 9);
  const perPack = r.int(2, 25);
  const sentences = [
    r.pick([`${who.name} has ${start} ${thing}.`, `${who.name} collects ${thing} and has ${start}.`]),
  ];
  const events: (() => void)[] = [];
  let cur: Qty = given(start);
  events.push(() => {
    sentences.push(r.pick([`{He} gives ${away} to a friend.`, `{He} loses ${away} of them.`]));
    cur = p.calc(cur, '-', given(away), `the ${thing} after that`, plain(thing));
  });
  events.push(() => {
    sentences.push(
      r.pick([
        `{He} buys ${packs} packs with ${perPack} ${thing} in each.`,
        `{He} gets ${packs} packs of ${perPack}.`,
      ]),
    );
    const bought = p.calc(given(packs), '*', given(perPack), `the new ${thing}`, plain(thing));
    cur = p.calc(cur, '+', bought, `the ${thing} ${who.he} has now`, plain(thing));
  });
  if (r.chance(0.5)) events.reverse();
  for (const e of events) e();
  if (r.chance(0.4)) {
    const more = r.int(3, 80);
    sentences.push(`{His} brother gives {him} ${more} more.`);
    cur = p.calc(cur, '+', given(more), `the ${thing} in the end`, plain(thing));
  }
  const question = r.pick([
    `How many ${thing} does {he} have now?`,
    `How many ${thing} does {he} end up with?`,
  ]);
  return finish('collection', who, [...sentences, question], p);
}

const SINGULAR: Record<string, string> = {
  boxes: 'box',
  rows: 'row',
  shelves: 'shelf',
  bags: 'bag',
  crates: 'crate',
  trays: 'tray',
  tables: 'table',
  baskets: 'basket',
  buses: 'bus',
  classes: 'class',
};

/** Containers of things, some added or removed, then shared or sold: open-vocabulary objects. */
function groups(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  const thing = thingFrom(r, w, [
    'apples',
    'chairs',
    'books',
    'eggs',
    'flowers',
    'seats',
    'bottles',
    'tiles',
  ]);
  const box = r.pick([
    'boxes',
    'rows',
    'shelves',
    'bags',
    'crates',
    'trays',
    'tables',
    'baskets',
    'buses',
    'classes',
  ]);
  const n = r.int(2, 25);
  const per = r.int(2, 48);
  const one = SINGULAR[box];
  const sentences = [
    r.pick([
      `There are ${n} ${box} with ${per} ${thing} in each.`,
      `${who.name} has ${n} ${box}, and each one holds ${per} ${thing}.`,
      `Each of the ${n} ${box} has ${per} ${thing}.`,
      ...(w === 'varied'
        ? [
            `${who.name} orders ${n} ${box} of ${thing}. Each ${one} holds ${per} ${thing}.`,
            `There are ${n} ${box}. Each ${one} has ${per} ${thing}.`,
            `A ${one} holds ${per} ${thing}. ${who.name} fills ${n} ${box}.`,
            `${who.name} gets ${n} ${box} of ${thing}, with ${per} in every ${one}.`,
          ]
        : []),
    ]),
  ];
  let cur = p.calc(given(n), '*', given(per), `the ${thing} in the ${box}`, plain(thing));
  let question = r.pick([`How many ${thing} are there in all?`, `How many ${thing} is that altogether?`]);
  if (r.chance(0.6)) {
    if (r.chance(0.5)) {
      const add = r.int(1, 200);
      sentences.push(r.pick([`${add} more ${thing} arrive.`, `{He} adds ${add} more ${thing}.`]));
      cur = p.calc(cur, '+', given(add), `the ${thing} after adding`, plain(thing));
    } else {
      const take = r.int(1, cur.value - 1);
      sentences.push(r.pick([`${take} of the ${thing} are taken away.`, `{He} removes ${take} ${thing}.`]));
      cur = p.calc(cur, '-', given(take), `the ${thing} that are left`, plain(thing));
    }
    question = r.pick([`How many ${thing} are there now?`, `How many ${thing} are left?`]);
  }
  const divisors = [2, 3, 4, 5, 6, 7, 8, 9, 10, 12].filter((d) => cur.value % d === 0 && cur.value / d > 1);
  if (divisors.length && r.chance(0.5)) {
    const k = r.pick(divisors);
    sentences.push(
      r.pick([`They are shared equally among ${k} people.`, `{He} splits them into ${k} equal groups.`]),
    );
    cur = p.calc(cur, '/', given(k), `the ${thing} in each share`, plain(thing));
    question = r.pick([`How many ${thing} does each share get?`, `How many ${thing} are in each group?`]);
  } else if (r.chance(0.5)) {
    const price = r.int(1, 20);
    sentences.push(`Each one sells for ${money(r, price)}.`);
    cur = p.calc(cur, '*', given(price, MONEY), `the money from the ${thing}`, MONEY);
    question = `How much money does that bring in?`;
  }
  return finish('groups', who, [...sentences, question], p);
}

/**
 * Two given amounts combined first (`35 + 48`, `42 - 15`), then used: what people write most
 * often and the other scenarios never start with.
 */
function combine(r: Rng, w: Wording): Plan {
  const who = person(r, w);
  const p = new PlanBuilder();
  const days = r.pick([
    ['on Monday', 'on Tuesday'],
    ['on Saturday', 'on Sunday'],
    ['in the morning', 'in the evening'],
    ['in the first week', 'in the second week'],
  ]);
  const kind = r.int(0, 4);
  const sentences: string[] = [];
  let question: string;
  if (kind === 0 || kind === 1) {
    const [verb, thing] =
      kind === 0
        ? r.pick([
            ['reads', 'pages'],
            ['runs', 'km'],
            ['practices', 'minutes'],
            ['walks', 'km'],
          ])
        : [
            r.pick(['collects', 'picks', 'sells', 'makes', 'finds']),
            thingFrom(r, w, ['shells', 'apples', 'cards', 'stamps', 'cookies', 'flowers']),
          ];
    const unit = plain(thing);
    const a = r.int(2, 90);
    const b = r.int(2, 90);
    sentences.push(
      r.pick([
        `${who.name} ${verb} ${a} ${thing} ${days[0]} and ${b} ${thing} ${days[1]}.`,
        `${days[0].replace(/^./, (c) => c.toUpperCase())}, ${who.name} ${verb} ${a} ${thing}, and ${days[1]} {he} ${verb} ${b}.`,
      ]),
    );
    const sum = p.calc(given(a, unit), '+', given(b, unit), `the ${thing} in all`, unit);
    question = `How many ${thing} is that in all?`;
    const then = r.int(0, 2);
    if (then === 1) {
      const goal = sum.value + r.int(5, 300);
      sentences.push(r.pick([`{His} goal is ${goal} ${thing}.`, `{He} wants to reach ${goal} ${thing}.`]));
      p.calc(given(goal, unit), '-', sum, `the ${thing} still to go`, unit);
      question = r.pick([`How many more ${thing} does {he} need?`, `How many ${thing} are still to go?`]);
    } else if (then === 2) {
      const times = r.int(2, 9);
      sentences.push(`{He} does the same for ${times} weeks.`);
      p.calc(sum, '*', given(times), `the ${thing} in ${times} weeks`, unit);
      question = `How many ${thing} is that in ${times} weeks?`;
    }
  } else if (kind === 2) {
    const thing = thingFrom(r, w, ['passengers', 'marbles', 'stickers', 'books', 'coins', 'beads']);
    const unit = plain(thing);
    const start = r.int(20, 400);
    const out = r.int(1, start - 1);
    const back = r.int(1, 200);
    sentences.push(
      r.pick([
        `${who.name} has ${start} ${thing}. {He} gives away ${out} and then gets ${back} more.`,
        `There are ${start} ${thing}. ${out} are taken away, then ${back} more are added.`,
      ]),
    );
    const left = p.calc(given(start, unit), '-', given(out, unit), `the ${thing} after giving away`, unit);
    p.calc(left, '+', given(back, unit), `the ${thing} in the end`, unit);
    question = r.pick([`How many ${thing} are there now?`, `How many ${thing} are there in the end?`]);
  } else if (kind === 3) {
    const hours = plain('hours');
    const rate = r.int(5, 40);
    const h1 = r.int(2, 9);
    const h2 = r.int(2, 9);
    sentences.push(
      `${who.name} earns ${money(r, rate)} an hour.`,
      `{He} works ${h1} hours ${days[0]} and ${h2} hours ${days[1]}.`,
    );
    const total = p.calc(given(h1, hours), '+', given(h2, hours), 'the hours worked', hours);
    const pay = p.calc(total, '*', given(rate, MONEY), 'the money earned', MONEY);
    question = 'How much does {he} earn?';
    if (r.chance(0.4)) {
      const spend = r.int(1, pay.value - 1);
      sentences.push(`{He} spends ${money(r, spend)} of it.`);
      p.calc(pay, '-', given(spend, MONEY), 'the money left', MONEY);
      question = 'How much money does {he} have left?';
    }
  } else {
    const [i1, i2] = sample(r, ['a scarf', 'a hat', 'a book', 'a ball', 'a lamp', 'a bag', 'a game'], 2);
    const p1 = r.int(2, 60);
    const p2 = r.int(2, 60);
    const have = p1 + p2 + r.int(1, 200);
    sentences.push(
      `${who.name} has ${money(r, have)}.`,
      r.pick([
        `{He} buys ${i1} for ${money(r, p1)} and ${i2} for ${money(r, p2)}.`,
        `{He} spends ${money(r, p1)} on ${i1} and ${money(r, p2)} on ${i2}.`,
      ]),
    );
    const spent = p.calc(given(p1, MONEY), '+', given(p2, MONEY), 'the money spent', MONEY);
    p.calc(given(have, MONEY), '-', spent, 'the money left', MONEY);
    question = r.pick(['How much money does {he} have left?', 'How much is left?']);
  }
  return finish('combine', who, [...sentences, question], p);
}

const PLAIN_SCENARIOS: ((r: Rng, w: Wording) => Plan)[] = [
  shopping,
  savings,
  time,
  distance,
  rates,
  sharing,
  recipes,
  collection,
];

/** The situations each wording draws from (`groups` brings words the plain vocabulary lacks). */
export const SCENARIOS: Record<Wording, ((r: Rng, w: Wording) => Plan)[]> = {
  plain: PLAIN_SCENARIOS,
  varied: [
    ...PLAIN_SCENARIOS,
    groups,
    combine,
    combine,
    ...EVERYDAY,
    ...IMPLIED_SCENARIOS,
    ...SINGLE_SCENARIOS,
  ],
};
