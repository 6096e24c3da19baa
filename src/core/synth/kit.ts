/**
 * What every scenario uses: people and their pronouns, objects from the word list, money, and the
 * finished plan with its pronouns filled in.
 */
import type { Rng } from './rng.ts';
import { PlanBuilder, type Plan, type Qty } from './plan.ts';
import { PLURAL_NOUNS } from './words.ts';

export interface Person {
  name: string;
  he: string;
  his: string;
}

const SHE = [
  'Maria',
  'Aisha',
  'Lena',
  'Sofia',
  'Priya',
  'Emma',
  'Chloe',
  'Nora',
  'Yuki',
  'Grace',
  'Fatima',
  'Ines',
  'Hannah',
  'Olivia',
  'Mei',
  'Zara',
  'Amara',
  'Ingrid',
  'Lucia',
  'Ana',
  'Keiko',
  'Rosa',
  'Nadia',
  'Julia',
  'Mira',
  'Beatriz',
  'Tamar',
  'Chiara',
  'Elif',
  'Siobhan',
  'Ayumi',
  'Kavya',
  'Lola',
  'Freya',
  'Zoe',
  'Ruth',
  'Ms. Patel',
  'Mrs. Lopez',
  'Grandma',
  'Aunt Jo',
];
const HE = [
  'Tom',
  'Omar',
  'Ben',
  'Carlos',
  'Ravi',
  'Leo',
  'Sam',
  'Jack',
  'Kenji',
  'David',
  'Ahmed',
  'Luca',
  'Noah',
  'Mateo',
  'Arjun',
  'Felix',
  'Hugo',
  'Ivan',
  'Kwame',
  'Diego',
  'Yusuf',
  'Tariq',
  'Oscar',
  'Pablo',
  'Ethan',
  'Liam',
  'Jonas',
  'Malik',
  'Hiro',
  'Finn',
  'Elias',
  'Marco',
  'Theo',
  'Raj',
  'Sven',
  'Wei',
  'Mr. Green',
  'Mr. Brown',
  'Grandpa',
  'Uncle Bob',
];

const people = (she: string[], he: string[]): Person[] => [
  ...she.map((name) => ({ name, he: 'she', his: 'her' })),
  ...he.map((name) => ({ name, he: 'he', his: 'his' })),
];
const PEOPLE = people(SHE, HE);
/** Every name the varied wording gives people (train/word-noise.ts renames them). */
export const NAMES: readonly string[] = [...SHE, ...HE];
/** The first ten names of each list: the plain wording's people. */
const PLAIN_PEOPLE = people(SHE.slice(0, 10), HE.slice(0, 10));

/**
 * How widely a problem's words vary: `plain` keeps to a small closed vocabulary; `varied` (what the
 * bundled demo model is trained on) adds names, word-list objects and more situations (groups,
 * combine, everyday.ts) and sentence forms.
 */
export type Wording = 'plain' | 'varied';

export const person = (r: Rng, w: Wording): Person => r.pick(w === 'varied' ? PEOPLE : PLAIN_PEOPLE);

/** A curated object word, or (varied wording, 40 %) any plural noun from the word list. */
export function thingFrom(r: Rng, w: Wording, curated: readonly string[]): string {
  return w === 'varied' && r.chance(0.4) ? r.pick(PLURAL_NOUNS) : r.pick(curated);
}

/** `s` with its first letter capitalised. */
export const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
export const money = (r: Rng, n: number): string => (r.chance(0.8) ? `$${n}` : `${n} dollars`);

/** `a`, `a and b`, `a, b and c`. */
export const andList = (xs: readonly string[]): string =>
  xs.length === 1 ? xs[0] : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;

/** Distinct elements of a list. */
export function sample<T>(r: Rng, items: readonly T[], k: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < k && pool.length > 0) out.push(pool.splice(r.int(0, pool.length - 1), 1)[0]);
  return out;
}

/** Adds quantities left to right, one step per addition. */
export function sumAll(p: PlanBuilder, parts: Qty[], whatSoFar: string, whatTotal: string): Qty {
  let acc = parts[0];
  for (let i = 1; i < parts.length; i++) {
    const last = i === parts.length - 1;
    acc = p.calc(acc, '+', parts[i], last ? whatTotal : whatSoFar, parts[i].unit);
  }
  return acc;
}

export function finish(situation: string, who: Person, sentences: string[], p: PlanBuilder): Plan {
  const fill = (s: string): string =>
    s
      .replaceAll('{He}', cap(who.he))
      .replaceAll('{he}', who.he)
      .replaceAll('{His}', cap(who.his))
      .replaceAll('{his}', who.his)
      .replaceAll('{him}', who.he === 'she' ? 'her' : 'him');
  return {
    situation,
    problem: sentences.map(fill).join(' '),
    steps: p.steps,
    person: { name: who.name, he: who.he },
  };
}
