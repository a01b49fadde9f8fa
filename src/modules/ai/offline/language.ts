import { francAll } from 'franc-min';

export interface LanguageGuess {
  /** ISO 639-3 code (`eng`, `deu`), or `und` when the text is too short or unclear. */
  code: string;
  /** ISO 639-1 code where one exists (`en`, `de`), else null. */
  alpha2: string | null;
  /** franc's relative score of the best guess (1) against the runners-up; not a probability. */
  candidates: { code: string; score: number }[];
}

/** Texts shorter than this are `und`: trigram statistics on a few words are noise. */
const MIN_LENGTH = 20;

/**
 * Language detection by character trigrams (franc-min: 82 languages, those with 8 million or more
 * speakers). The other offline analyses use an English model, so callers can check this
 * first and treat other languages' results with care.
 */
export function detectLanguage(text: string): LanguageGuess {
  const ranked = francAll(text, { minLength: MIN_LENGTH }).slice(0, 3);
  const best = ranked[0];
  if (!best || best[0] === 'und') return { code: 'und', alpha2: null, candidates: [] };
  return {
    code: best[0],
    alpha2: ALPHA2[best[0]] ?? null,
    candidates: ranked.map(([code, score]) => ({ code, score: Math.round(score * 1000) / 1000 })),
  };
}

/** ISO 639-3 → 639-1 for the languages franc-min knows that have a two-letter code. */
// prettier-ignore
const ALPHA2: Record<string, string> = {
  amh: 'am', arb: 'ar', azj: 'az', bel: 'be', ben: 'bn', bos: 'bs', bul: 'bg', ces: 'cs', ckb: 'ku',
  cmn: 'zh', deu: 'de', ell: 'el', eng: 'en', fra: 'fr', fuv: 'ff', guj: 'gu', hau: 'ha', hin: 'hi',
  hrv: 'hr', hun: 'hu', ibo: 'ig', ind: 'id', ita: 'it', jav: 'jv', jpn: 'ja', kan: 'kn', kaz: 'kk',
  kin: 'rw', kor: 'ko', lin: 'ln', mal: 'ml', mar: 'mr', mya: 'my', nld: 'nl', npi: 'ne', nya: 'ny',
  pan: 'pa', pbu: 'ps', pes: 'fa', plt: 'mg', pol: 'pl', por: 'pt', ron: 'ro', run: 'rn', rus: 'ru',
  sin: 'si', som: 'so', spa: 'es', srp: 'sr', sun: 'su', swe: 'sv', swh: 'sw', tam: 'ta', tel: 'te',
  tgl: 'tl', tha: 'th', tur: 'tr', ukr: 'uk', urd: 'ur', uzn: 'uz', vie: 'vi', yor: 'yo', zlm: 'ms',
  zul: 'zu', zyb: 'za',
};
