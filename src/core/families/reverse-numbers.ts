/**
 * Whole numbers written least-significant digit first, for models whose `prm.json` sets
 * `reverse_numbers` (demo models trained on train/prepare.ts's prompts). A causal model reading
 * `84 - 25 = 59` left to right meets each digit before it knows that digit's place value;
 * reversed, the digits of every number come in the order carries flow, so a small model can line
 * up and check a sum digit by digit with what it has already read (Lee et al., "Teaching
 * Arithmetic to Small Transformers", https://arxiv.org/abs/2307.03381). Thousands separators
 * (`1,250`, LaTeX `1{,}250`) are dropped first so a number's digits stay one run; the two sides
 * of a decimal point reverse separately.
 *
 * @example
 * reverseNumbers('84 - 25 = 59')       // '48 - 52 = 95'
 * reverseNumbers('$1,250 + 30 = $1,280') // '$0521 + 03 = $0821'
 */
export function reverseNumbers(text: string): string {
  return text
    .replace(GROUPED, (m) => m.replace(/\{,\}|,/g, ''))
    .replace(/\d+/g, (run) => [...run].reverse().join(''));
}

// 1,234,567 (or 1{,}234{,}567): groups of exactly three digits, as the judge's lexer reads them.
const GROUPED = /(?<!\d)\d{1,3}(?:(?:,|\{,\})\d{3})+(?!\d)/g;
