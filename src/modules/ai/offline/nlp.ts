import { createRequire } from 'node:module';
import type WinkModel from 'wink-eng-lite-web-model';
import type WinkNlp from 'wink-nlp';
import type { ItsFunction, PartOfSpeech } from 'wink-nlp';

// Loaded on the first createParser(), not at import: the model is ~30 MB that a process which
// never runs an offline AI operation should not carry (both packages are CommonJS).
const require = createRequire(import.meta.url);

/**
 * The one place that touches wink-nlp. It parses a text once into plain data (sentences, tokens,
 * entities, sentiment) that the offline operations work on, so they stay pure functions of
 * arrays and are easy to test. The English model ships inside its npm package: nothing is
 * downloaded, at install or at run time. Loading it takes ~150 ms and ~30 MB, so an engine
 * creates one parser and keeps it.
 */

export interface Token {
  /** As written. */
  text: string;
  /** Lower-cased, normalised surface form (`don't` → `do`, `not`; British → American spelling). */
  normal: string;
  /** Porter-stemmed form, for matching `refunds` with `refund`. */
  stem: string;
  pos: PartOfSpeech;
  /** wink's token type: word, number, punctuation, email, url, emoji, … */
  type: string;
  stop: boolean;
  /** Inside the scope of a negation (`not happy`). */
  negated: boolean;
}

export interface Sentence {
  text: string;
  tokens: Token[];
  /** wink's sentiment score for the sentence, in [-1, 1]. */
  sentiment: number;
}

export interface Entity {
  text: string;
  /** wink's entity type: DATE, TIME, MONEY, PERCENT, EMAIL, URL, HASHTAG, MENTION, CARDINAL, … */
  type: string;
}

export interface ParsedText {
  sentences: Sentence[];
  entities: Entity[];
  /** wink's sentiment score for the whole text, in [-1, 1]. */
  sentiment: number;
}

export interface Parser {
  parse(text: string): ParsedText;
  /** Content-word stems of a text (no stop words, punctuation or numbers): the unit of similarity. */
  terms(text: string): string[];
}

export function createParser(): Parser {
  const winkNLP = require('wink-nlp') as typeof WinkNlp;
  const model = require('wink-eng-lite-web-model') as typeof WinkModel;
  const nlp = winkNLP(model);
  const its = nlp.its;
  const parse = (text: string): ParsedText => {
    const doc = nlp.readDoc(text);
    const sentences: Sentence[] = [];
    // Index loops rather than each(): wink's each() takes a union of callback types that
    // TypeScript cannot infer parameters from.
    const all = doc.sentences();
    for (let i = 0; i < all.length(); i++) {
      const s = all.itemAt(i);
      const items = s.tokens();
      const tokens: Token[] = [];
      for (let j = 0; j < items.length(); j++) {
        const t = items.itemAt(j);
        tokens.push({
          text: t.out(),
          normal: String(t.out(its.normal)),
          // its.stem's declared signature (it takes model addons) does not match ItsFunction; it works.
          stem: String(t.out(its.stem as unknown as ItsFunction<string>)),
          pos: t.out(its.pos) as PartOfSpeech,
          type: String(t.out(its.type)),
          stop: t.out(its.stopWordFlag) === true,
          negated: t.out(its.negationFlag) === true,
        });
      }
      sentences.push({ text: s.out(), tokens, sentiment: Number(s.out(its.sentiment)) });
    }
    const found = doc.entities();
    const entities: Entity[] = [];
    for (let i = 0; i < found.length(); i++) {
      const e = found.itemAt(i);
      entities.push({ text: e.out(), type: String(e.out(its.type)) });
    }
    return { sentences, entities, sentiment: Number(doc.out(its.sentiment)) };
  };
  return {
    parse,
    terms: (text) => parse(text).sentences.flatMap((s) => contentStems(s.tokens)),
  };
}

/** Words that carry meaning: not stop words, not punctuation, numbers or symbols. */
export function contentStems(tokens: Token[]): string[] {
  return tokens.filter(isContentWord).map((t) => t.stem);
}

export const isContentWord = (t: Token) => t.type === 'word' && !t.stop && t.normal.length > 1;
