import type { Entity, ParsedText } from './nlp.ts';

export interface DateMention {
  text: string;
  /** `YYYY-MM-DD` when day, month and year are all known and unambiguous, else null. */
  iso: string | null;
}

export interface AmountMention {
  text: string;
  value: number;
  /** ISO 4217 code from the symbol, code or word next to the number. */
  currency: string;
}

export interface EntityFindings {
  /** wink-nlp's entities as found (DATE, TIME, MONEY, PERCENT, EMAIL, URL, HASHTAG, MENTION, …). */
  entities: Entity[];
  /** Dates, with ISO dates where the text pins one down (`12 March 2025`, `2025-03-12`). */
  dates: DateMention[];
  /** Money amounts with a currency (`$45.99`, `EUR 1,200.50`, `300 euros`). */
  amounts: AmountMention[];
  /**
   * Proper-noun phrases (`Anna Schmidt`, `Acme Corp`, `Berlin`). Not typed: the English lite model
   * has no person/organisation/place recogniser, so these are candidates, not classified entities.
   */
  names: string[];
}

export function findEntities(text: string, parsed: ParsedText): EntityFindings {
  const dates = findDates(text);
  // wink also finds relative and partial dates ("next Friday", "3rd May"); keep those it finds
  // that are not already covered by a full date above.
  for (const e of parsed.entities) {
    if (e.type !== 'DATE') continue;
    // wink's date spans can start with a preposition ("by March 12").
    const core = e.text.replace(/^(?:by|on|until|till|before|after|from|since|in|at|of)\s+/i, '');
    if (dates.some((d) => d.text.includes(core) || core.includes(d.text))) continue;
    dates.push({ text: core, iso: null });
  }
  return { entities: parsed.entities, dates, amounts: findAmounts(text), names: properNouns(parsed) };
}

// ---- dates ---------------------------------------------------------------------------------

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  sept: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const MONTH =
  '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const DAY = '(\\d{1,2})(?:st|nd|rd|th)?';

const DATE_PATTERNS: { re: RegExp; ymd: (m: RegExpExecArray) => [number, number, number] | null }[] = [
  { re: /\b(\d{4})-(\d{2})-(\d{2})\b/g, ymd: (m) => [Number(m[1]), Number(m[2]), Number(m[3])] },
  {
    re: new RegExp(`\\b${DAY}(?:\\s+of)?\\s+${MONTH}\\.?,?\\s+(\\d{4})\\b`, 'gi'),
    ymd: (m) => [Number(m[3]), monthOf(m[2]), Number(m[1])],
  },
  {
    re: new RegExp(`\\b${MONTH}\\.?\\s+${DAY},?\\s+(\\d{4})\\b`, 'gi'),
    ymd: (m) => [Number(m[3]), monthOf(m[1]), Number(m[2])],
  },
  // 12.03.2025 is day.month.year wherever dots are used.
  { re: /\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b/g, ymd: (m) => [Number(m[3]), Number(m[2]), Number(m[1])] },
  // 12/03/2025 is ambiguous (US month first, most others day first) unless one part is over 12.
  {
    re: /\b(\d{1,2})\/(\d{1,2})\/(\d{4})\b/g,
    ymd: (m) => {
      const a = Number(m[1]);
      const b = Number(m[2]);
      if (a > 12 && b <= 12) return [Number(m[3]), b, a];
      if (b > 12 && a <= 12) return [Number(m[3]), a, b];
      return null;
    },
  },
];

function monthOf(name: string | undefined): number {
  return MONTHS[(name ?? '').slice(0, name?.toLowerCase().startsWith('sept') ? 4 : 3).toLowerCase()] ?? 0;
}

function findDates(text: string): DateMention[] {
  const found: { start: number; end: number; mention: DateMention }[] = [];
  for (const { re, ymd } of DATE_PATTERNS) {
    for (const m of text.matchAll(re)) {
      const start = m.index;
      const end = start + m[0].length;
      if (found.some((f) => start < f.end && end > f.start)) continue;
      const parts = ymd(m as RegExpExecArray);
      found.push({ start, end, mention: { text: m[0], iso: parts ? isoDate(...parts) : null } });
    }
  }
  return found.sort((a, b) => a.start - b.start).map((f) => f.mention);
}

function isoDate(year: number, month: number, day: number): string | null {
  if (year < 1000 || month < 1 || month > 12 || day < 1) return null;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1) return null; // 31 February
  return date.toISOString().slice(0, 10);
}

// ---- amounts -------------------------------------------------------------------------------

const SYMBOLS: Record<string, string> = { $: 'USD', '€': 'EUR', '£': 'GBP', '¥': 'JPY', '₹': 'INR' };
const CODES = 'USD|EUR|GBP|JPY|CHF|CAD|AUD|NZD|SEK|NOK|DKK|PLN|CZK|INR|CNY|BRL|MXN|ZAR';
const WORDS: Record<string, string> = { dollar: 'USD', euro: 'EUR', pound: 'GBP', yen: 'JPY' };
const NUM = "(\\d{1,3}(?:[,.']\\d{3})+(?:[.,]\\d+)?|\\d+(?:[.,]\\d+)?)";
const MULT = '(?:\\s?(k|m|bn|thousand|million|billion)\\b)?';
const MULTIPLIERS: Record<string, number> = { k: 1e3, thousand: 1e3, m: 1e6, million: 1e6, bn: 1e9, billion: 1e9 };

const AMOUNT_PATTERNS: { re: RegExp; currency: (m: RegExpExecArray) => string; num: number; mult: number }[] = [
  { re: new RegExp(`([$€£¥₹])\\s?${NUM}${MULT}`, 'gi'), currency: (m) => SYMBOLS[m[1] ?? ''] ?? '', num: 2, mult: 3 },
  { re: new RegExp(`\\b(${CODES})\\s?${NUM}${MULT}`, 'g'), currency: (m) => m[1] ?? '', num: 2, mult: 3 },
  {
    re: new RegExp(`${NUM}${MULT}\\s?(?:(${CODES})\\b|([€£¥₹])|(dollar|euro|pound|yen)s?\\b)`, 'gi'),
    currency: (m) => m[3]?.toUpperCase() ?? SYMBOLS[m[4] ?? ''] ?? WORDS[(m[5] ?? '').toLowerCase()] ?? '',
    num: 1,
    mult: 2,
  },
];

function findAmounts(text: string): AmountMention[] {
  const found: { start: number; end: number; mention: AmountMention }[] = [];
  for (const { re, currency, num, mult } of AMOUNT_PATTERNS) {
    for (const m of text.matchAll(re)) {
      const start = m.index;
      const end = start + m[0].length;
      if (found.some((f) => start < f.end && end > f.start)) continue;
      const value = parseNumber(m[num] ?? '') * (MULTIPLIERS[(m[mult] ?? '').toLowerCase()] ?? 1);
      const code = currency(m as RegExpExecArray);
      if (!Number.isFinite(value) || !code) continue;
      found.push({ start, end, mention: { text: m[0].trim(), value, currency: code } });
    }
  }
  return found.sort((a, b) => a.start - b.start).map((f) => f.mention);
}

/** `1,200.50`, `1.200,50`, `1'200`, `12,50`, `45.99`: the last separator is decimal unless it groups thousands. */
export function parseNumber(s: string): number {
  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  let decimal: string | null = null;
  if (lastDot >= 0 && lastComma >= 0) decimal = lastDot > lastComma ? '.' : ',';
  else {
    const sep = lastDot >= 0 ? '.' : lastComma >= 0 ? ',' : null;
    if (sep) {
      const occurrences = s.split(sep).length - 1;
      const after = s.length - s.lastIndexOf(sep) - 1;
      if (occurrences === 1 && after !== 3) decimal = sep;
    }
  }
  const digits = [...s].map((c) => (c === decimal ? '.' : /\d/.test(c) ? c : '')).join('');
  return Number(digits);
}

// ---- names ---------------------------------------------------------------------------------

/** Capitalised words that are not names: months, weekdays, currency codes. */
const NOT_NAMES = new RegExp(`^(?:${MONTH}|(?:mon|tues|wednes|thurs|fri|satur|sun)day|${CODES})$`, 'i');

function properNouns(parsed: ParsedText): string[] {
  const names = new Set<string>();
  for (const sentence of parsed.sentences) {
    let run: string[] = [];
    let runStart = -1;
    const flush = () => {
      // A lone capitalised first word is too often a tagging slip ("Call me …").
      if (run.length > 1 || (run.length === 1 && runStart > 0)) names.add(run.join(' '));
      run = [];
    };
    sentence.tokens.forEach((t, i) => {
      if (t.pos === 'PROPN' && t.type === 'word' && !NOT_NAMES.test(t.text)) {
        if (run.length === 0) runStart = i;
        run.push(t.text);
      } else flush();
    });
    flush();
  }
  return [...names];
}
