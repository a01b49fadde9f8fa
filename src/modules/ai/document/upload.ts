import { aiError } from '../errors.ts';

/**
 * Uploaded documents: the raw body with the file's media type, or one file in a
 * `multipart/form-data` body (what `curl -F file=@contract.md` and browser forms send). Only text
 * formats are read. PDF and Word documents are refused with `AI_DOCUMENT_TYPE_UNSUPPORTED`: no
 * maintained pure-JavaScript parser is installed, and a native or abandoned one is not worth the
 * risk of parsing untrusted files in the API process.
 */

/** Media types read as UTF-8 text, by type and by file extension (for `application/octet-stream` parts). */
export const TEXT_TYPES = ['text/plain', 'text/markdown', 'text/x-markdown', 'text/csv', 'application/json'] as const;
const BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain',
  text: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  doc: 'application/msword',
};
/** Recognised but refused, each with the reason given to the client. */
const REFUSED: Record<string, string> = {
  'application/pdf': 'PDF',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word (DOCX)',
  'application/msword': 'Word (DOC)',
  'application/rtf': 'RTF',
};

export interface UploadedDocument {
  text: string;
  mediaType: (typeof TEXT_TYPES)[number];
  filename: string | null;
  /** Text fields of a multipart body (`kind`), as sent. */
  fields: Record<string, string>;
}

const essence = (contentType: string) => (contentType.split(';')[0] ?? '').trim().toLowerCase();

/** Reads an uploaded body; `contentType` is the request's. */
export function readUpload(body: Buffer, contentType: string, filename: string | null): UploadedDocument {
  const type = essence(contentType);
  if (type === 'multipart/form-data') {
    const { file, fields } = parseMultipart(body, contentType);
    if (!file) {
      throw aiError('DOCUMENT_UNREADABLE', 'The multipart body holds no file: send it in a part named "file".');
    }
    const name = file.filename ?? filename;
    const partType = essence(file.contentType);
    const resolved =
      partType === 'application/octet-stream' || partType === '' ? (byExtension(name) ?? partType) : partType;
    return { ...decode(file.data, resolved, name), fields };
  }
  return { ...decode(body, type, filename), fields: {} };
}

function byExtension(filename: string | null): string | undefined {
  const ext = filename?.toLowerCase().match(/\.([a-z]+)$/)?.[1];
  return ext ? BY_EXTENSION[ext] : undefined;
}

function decode(data: Buffer, type: string, filename: string | null): Omit<UploadedDocument, 'fields'> {
  const refused = REFUSED[type];
  if (refused) {
    throw aiError(
      'DOCUMENT_TYPE_UNSUPPORTED',
      `${refused} documents cannot be read here: no parser for them is installed. Convert the document to text ` +
        '(for example with pdftotext or pandoc) and send text/plain or text/markdown.',
      { extra: { mediaType: type, accepted: TEXT_TYPES } },
    );
  }
  const mediaType = TEXT_TYPES.find((t) => t === type);
  if (!mediaType) {
    throw aiError('DOCUMENT_TYPE_UNSUPPORTED', `Documents of type ${type || '(none)'} cannot be read.`, {
      extra: { mediaType: type, accepted: TEXT_TYPES },
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw aiError('DOCUMENT_UNREADABLE', 'The document is not valid UTF-8 text.');
  }
  if (text.includes('\u0000')) throw aiError('DOCUMENT_UNREADABLE', 'The document contains NUL characters.');
  return { text: text.replace(/^\uFEFF/, ''), mediaType, filename };
}

interface Part {
  name: string | null;
  filename: string | null;
  contentType: string;
  data: Buffer;
}

/**
 * A small multipart/form-data reader for one bounded body (the route's body limit applies before
 * this runs): the first part with a filename, or named `file`, is the document; other parts are
 * kept as text fields (at most 20, 1,000 characters each).
 */
export function parseMultipart(
  body: Buffer,
  contentType: string,
): { file: Part | undefined; fields: Record<string, string> } {
  const boundary = /boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) throw aiError('DOCUMENT_UNREADABLE', 'The multipart body has no boundary.');
  const delimiter = Buffer.from(`--${b}`);
  const parts: Part[] = [];
  let at = body.indexOf(delimiter);
  while (at !== -1 && parts.length < 21) {
    let start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString('latin1') === '--') break; // closing delimiter
    if (body.subarray(start, start + 2).toString('latin1') === '\r\n') start += 2;
    // A part without headers starts with the blank line at once.
    const headerEnd =
      body.subarray(start, start + 2).toString('latin1') === '\r\n' ? start - 2 : body.indexOf('\r\n\r\n', start);
    if (headerEnd === -1) throw aiError('DOCUMENT_UNREADABLE', 'A multipart part has no end of headers.');
    const next = body.indexOf(Buffer.from(`\r\n--${b}`), headerEnd + 4);
    if (next === -1) throw aiError('DOCUMENT_UNREADABLE', 'The multipart body is truncated.');
    const headers = body.subarray(start, Math.max(start, headerEnd)).toString('utf8');
    const disposition = /^content-disposition:(.*)$/im.exec(headers)?.[1] ?? '';
    parts.push({
      name: /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? null,
      filename: /\bfilename="([^"]*)"/i.exec(disposition)?.[1] ?? null,
      contentType: /^content-type:\s*(.*)$/im.exec(headers)?.[1]?.trim() ?? 'text/plain',
      data: body.subarray(headerEnd + 4, next),
    });
    at = next + 2;
  }
  const file = parts.find((p) => p.filename !== null) ?? parts.find((p) => p.name === 'file');
  const fields: Record<string, string> = {};
  for (const p of parts) {
    if (p === file || !p.name) continue;
    fields[p.name] = p.data.toString('utf8').slice(0, 1000);
  }
  return { file, fields };
}
