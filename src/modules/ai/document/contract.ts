/**
 * Offline contract reading: whether a document looks like a contract, its clauses (split at
 * numbered headings) and risk flags from a fixed list of rules. Deterministic and explainable:
 * every flag names its rule and quotes the words that raised it. Rules are lexical, so they find
 * wording, not meaning ("shall not be liable for unlimited…" still matches); the model's review,
 * when a provider is configured, is reported next to them, never merged into them.
 */

export type Severity = 'high' | 'medium' | 'low';

export interface Clause {
  /** As written: `1`, `4.2`, `IV`, `7(a)`. */
  number: string;
  heading: string;
  /** Character offsets of the clause in the document (heading included). */
  start: number;
  end: number;
  /** Ids of the rules that flagged this clause. */
  risks: string[];
}

export interface RiskFinding {
  rule: string;
  title: string;
  severity: Severity;
  /** The clause's number, or null for findings about the whole document (something missing). */
  clause: string | null;
  /** Up to 200 characters around the match; for a missing clause, what was looked for. */
  evidence: string;
}

interface ClauseRule {
  id: string;
  title: string;
  severity: Severity;
  /** Matched in each clause (or in the whole text when there are no clauses). */
  match: (text: string) => RegExpExecArray | null;
}

interface DocumentRule {
  id: string;
  title: string;
  severity: Severity;
  /** True when the document lacks what the rule wants. */
  missing: (text: string) => boolean;
  lookedFor: string;
}

const re = (pattern: RegExp) => (text: string) => new RegExp(pattern.source, pattern.flags).exec(text);

/** The rule list (documented in docs/api.md; ids are stable). */
export const CLAUSE_RULES: readonly ClauseRule[] = [
  {
    id: 'auto_renewal',
    title: 'Renews automatically unless cancelled',
    severity: 'medium',
    match: re(
      /\b(automatic(ally)?\s+renew\w*|auto-?renew\w*|renews?\s+automatically|shall\s+(be\s+)?renew(ed)?\s+for\s+(successive|additional|further)|evergreen)\b/i,
    ),
  },
  {
    id: 'unlimited_liability',
    title: 'Liability is unlimited or expressly uncapped',
    severity: 'high',
    match: re(
      /\b(unlimited\s+liability|liability\b[^.;]{0,60}\b(is|shall\s+be|will\s+be)\s+(unlimited|uncapped)|(without|no)\s+(any\s+)?(limit(ation)?|cap)\s+(of|on|to)\s+(its\s+|their\s+)?liability|liability\s+(shall|will)\s+not\s+be\s+(limited|capped))\b/i,
    ),
  },
  {
    id: 'indemnification',
    title: 'Indemnification or hold-harmless obligation',
    severity: 'medium',
    match: re(/\b(indemnif(y|ies|ied|ication)|hold\s+harmless)\b/i),
  },
  {
    id: 'termination_for_convenience',
    title: 'A party may terminate for convenience (without cause)',
    severity: 'medium',
    match: re(
      /\bterminat\w*\b[^.;]{0,80}\b(for\s+convenience|without\s+cause|for\s+any\s+reason(\s+or\s+no\s+reason)?|at\s+any\s+time\s+(and\s+)?for\s+any\s+reason|at\s+its\s+sole\s+discretion)\b/i,
    ),
  },
  {
    id: 'exclusivity',
    title: 'Exclusivity commitment',
    severity: 'medium',
    // "non-exclusive" is not a commitment: the look-behind skips it.
    match: re(/(?<!non-?\s?)\b(exclusiv(e|ity)|sole\s+(and\s+exclusive\s+)?(supplier|provider|vendor|distributor))\b/i),
  },
  {
    id: 'non_compete',
    title: 'Non-compete restriction',
    severity: 'high',
    match: re(
      /\b(non-?\s?compet\w*|(shall|will|agrees?\s+to)\s+not\s+(directly\s+or\s+indirectly\s+)?(compete|engage\s+in\s+(any\s+)?competing)|not\s+to\s+compete)\b/i,
    ),
  },
  {
    id: 'long_payment_terms',
    title: 'Payment terms longer than 60 days',
    severity: 'medium',
    match: (text) => {
      const pattern =
        /\b(net\s*(\d{2,3})|(?:within|no\s+later\s+than|in)\s+(\d{2,3}|sixty[- ]five|seventy|seventy[- ]five|eighty|ninety|one\s+hundred(?:\s+and)?\s+twenty)\s*(?:\(\d+\)\s*)?(?:calendar\s+|business\s+)?days)\b/gi;
      if (!/\b(pay|paid|payment|invoice[sd]?|remit)\w*/i.test(text)) return null;
      for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
        const days = daysOf(m[2] ?? m[3] ?? '');
        if (days > 60) return m;
      }
      return null;
    },
  },
  {
    id: 'unilateral_changes',
    title: 'One party may change the terms or prices alone',
    severity: 'medium',
    match: re(
      /\b(may|reserves?\s+the\s+right\s+to)\s+(unilaterally\s+)?(amend|modify|change|revise|increase)\s+(this\s+agreement|these\s+terms|the\s+terms|the\s+fees|its\s+(fees|prices)|prices?|fees)\b/i,
    ),
  },
  {
    id: 'assignment_without_consent',
    title: 'May be assigned without the other party’s consent',
    severity: 'low',
    match: re(/\bassign\w*\b[^.;]{0,80}\bwithout\s+(the\s+)?(prior\s+)?(written\s+)?(consent|approval)\b/i),
  },
];

export const DOCUMENT_RULES: readonly DocumentRule[] = [
  {
    id: 'governing_law_missing',
    title: 'No governing-law clause',
    severity: 'medium',
    missing: (text) =>
      !/\b(governing\s+law|governed\s+by\b[^.]{0,60}\blaws?\b|laws\s+of\s+(the\s+)?(state|province|commonwealth|republic|kingdom)\s+of|jurisdiction\s+of\s+the\s+courts)/i.test(
        text,
      ),
    lookedFor: 'a clause naming the governing law ("governed by the laws of …")',
  },
  {
    id: 'liability_cap_missing',
    title: 'No limitation of liability',
    severity: 'low',
    missing: (text) =>
      !/\b(limitation\s+of\s+liability|limit(ed|s)?\s+(its|their|the)?\s*(aggregate\s+|total\s+)?liability|liability\b[^.]{0,80}\b(shall|will)\s+not\s+exceed|in\s+no\s+event\s+shall)/i.test(
        text,
      ),
    lookedFor: 'a limitation-of-liability clause ("liability shall not exceed …")',
  },
];

const WORD_DAYS: Record<string, number> = {
  'sixty-five': 65,
  'sixty five': 65,
  seventy: 70,
  'seventy-five': 75,
  'seventy five': 75,
  eighty: 80,
  ninety: 90,
};

function daysOf(raw: string): number {
  const s = raw.toLowerCase().replace(/\s+/g, ' ').trim();
  if (/^\d+$/.test(s)) return Number(s);
  if (s.startsWith('one hundred')) return 120;
  return WORD_DAYS[s] ?? 0;
}

/**
 * A numbered heading at the start of a line: `1.`, `12)`, `4.2`, `Section 4`, `Article IV`,
 * `Clause 7`, `§ 5`, optionally after Markdown `#`s, followed by a title or text on the same line.
 * Lettered items (`(a)`) are too small a unit to be clauses and stay inside theirs.
 */
const HEADING =
  /^[ \t]*(?:#{1,6}[ \t]+)?(?:(?:section|article|clause|§)[ \t]*([0-9]+(?:\.[0-9]+)*|[IVXLC]+)\b\.?|([0-9]{1,3}(?:\.[0-9]{1,3})+)\.?(?=[ \t])|([0-9]{1,3})[.)](?=[ \t]))[ \t]*[:.\-–—]?[ \t]*(\S[^\n]*)$/gim;

export function splitClauses(text: string): Omit<Clause, 'risks'>[] {
  const starts: { number: string; heading: string; start: number }[] = [];
  for (const m of text.matchAll(HEADING)) {
    const number = m[1] ?? m[2] ?? m[3] ?? '';
    starts.push({ number, heading: headingOf(m[4] ?? ''), start: m.index });
    if (starts.length >= 500) break;
  }
  return starts.map((s, i) => ({ ...s, end: starts[i + 1]?.start ?? text.length }));
}

/** The heading proper: the line up to its first sentence end, at most 120 characters. */
function headingOf(line: string): string {
  const cut = /^(.{3,120}?)(?:\.\s|$)/.exec(line.trim());
  return (cut?.[1] ?? line.trim().slice(0, 120)).replace(/[.:]$/, '');
}

const SIGNALS: readonly [string, RegExp][] = [
  ['agreement', /\b(this\s+)?(agreement|contract)\b/i],
  ['parties', /\b(the\s+)?part(y|ies)\b/i],
  ['shall', /\bshall\b/i],
  ['term', /\b(term|termination|terminate)\b/i],
  ['governing_law', /\bgoverning\s+law|governed\s+by\b/i],
  ['whereas', /\bwhereas\b|\bin\s+witness\s+whereof\b|\bhereby\b/i],
  ['liability', /\bliab(le|ility)\b|\bindemnif/i],
  ['effective_date', /\beffective\s+date\b|\bcommencement\s+date\b/i],
  ['signature', /\bsignature\b|\bsigned\s+by\b|\bauthori[sz]ed\s+representative\b/i],
];

/**
 * Looks like a contract: at least four of the signals above (agreement, parties, "shall", term,
 * governing law, recitals or "hereby", liability, effective date, signatures). Chosen so a policy
 * page or an email that mentions "the agreement" once does not qualify.
 */
export function contractSignals(text: string): { looksLikeContract: boolean; signals: string[] } {
  const signals = SIGNALS.filter(([, pattern]) => pattern.test(text)).map(([name]) => name);
  return { looksLikeContract: signals.length >= 4, signals };
}

/** Clauses with their flags, and every finding (clause rules per clause, then document rules). */
export function reviewContract(text: string): { clauses: Clause[]; risks: RiskFinding[] } {
  const parts = splitClauses(text);
  const units = parts.length > 0 ? parts : [{ number: '', heading: '', start: 0, end: text.length }];
  const risks: RiskFinding[] = [];
  const clauses: Clause[] = [];
  for (const unit of units) {
    const body = text.slice(unit.start, unit.end);
    const flagged: string[] = [];
    for (const rule of CLAUSE_RULES) {
      const m = rule.match(body);
      if (!m) continue;
      flagged.push(rule.id);
      risks.push({
        rule: rule.id,
        title: rule.title,
        severity: rule.severity,
        clause: unit.number || null,
        evidence: around(body, m.index, m[0].length),
      });
    }
    if (parts.length > 0) clauses.push({ ...unit, risks: flagged });
  }
  for (const rule of DOCUMENT_RULES) {
    if (rule.missing(text)) {
      risks.push({ rule: rule.id, title: rule.title, severity: rule.severity, clause: null, evidence: rule.lookedFor });
    }
  }
  return { clauses, risks };
}

/** The match with some context, whitespace collapsed, at most 200 characters. */
function around(text: string, index: number, length: number): string {
  const from = Math.max(0, index - 60);
  const to = Math.min(text.length, index + length + 60);
  const snippet = text.slice(from, to).replace(/\s+/g, ' ').trim();
  return `${from > 0 ? '…' : ''}${snippet.slice(0, 198)}${to < text.length ? '…' : ''}`;
}

export const RISK_RULE_IDS = [...CLAUSE_RULES.map((r) => r.id), ...DOCUMENT_RULES.map((r) => r.id)];
