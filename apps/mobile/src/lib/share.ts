// The share target: what another app shared with Posey (expo-sharing's payloads), sorted into
// text (a note, a link) that can start a chat or become a memory, and files the agents can read
// as documents (PDF, DOCX, HTML, Markdown, plain text), uploaded to `POST /v1/documents`.
// Photos are not read: the agents take no images, and the phone does no OCR here.

import type { AgentsComponents } from '@posey/sdk';
import { unwrap } from '@posey/sdk';

import type { Connection } from './connection';

export type Document = AgentsComponents['schemas']['Document'];

/** What expo-sharing hands over for one shared item (resolved or not). */
export interface Payload {
  value: string;
  shareType: 'text' | 'url' | 'audio' | 'image' | 'video' | 'file';
  mimeType?: string;
  contentUri?: string | null;
  contentMimeType?: string | null;
  originalName?: string | null;
  contentSize?: number | null;
}

export type Shared =
  | { kind: 'text'; text: string }
  | { kind: 'document'; uri: string; name: string; mimeType: string; size: number | null }
  | { kind: 'unsupported'; name: string; reason: string };

/** The types the agents extract text from (their upload sniffs the bytes; this is the first check). */
export const DOCUMENT_TYPES = [
  'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'text/html',
  'text/markdown',
  'text/plain',
  'text/x-markdown',
];
const DOCUMENT_EXTENSIONS = /\.(pdf|docx|html?|md|markdown|txt)$/i;

function basename(uri: string): string {
  const last = uri.split(/[/\\]/).pop() ?? uri;
  try {
    return decodeURIComponent(last) || 'shared';
  } catch {
    return last || 'shared';
  }
}

export function sortShared(payloads: Payload[]): Shared[] {
  return payloads.map((p): Shared => {
    if (p.shareType === 'text' || p.shareType === 'url') return { kind: 'text', text: p.value.trim() };
    const uri = p.contentUri ?? p.value;
    const name = p.originalName ?? basename(uri);
    const mimeType = (p.contentMimeType ?? p.mimeType ?? '').toLowerCase();
    if (DOCUMENT_TYPES.includes(mimeType.split(';')[0] ?? '') || DOCUMENT_EXTENSIONS.test(name)) {
      return { kind: 'document', uri, name, mimeType: mimeType || 'application/octet-stream', size: p.contentSize ?? null };
    }
    if (p.shareType === 'image') return { kind: 'unsupported', name, reason: 'Posey cannot read the text in photos yet: share it as a PDF instead.' };
    return { kind: 'unsupported', name, reason: 'Posey reads PDF, Word (DOCX), HTML, Markdown and text files.' };
  });
}

/** The first message of a chat about shared text. */
export function chatAbout(text: string): string {
  return `I'm sharing this with you:\n\n${text}`;
}

/**
 * Uploads a shared file as one of the person's documents. React Native's FormData takes a file
 * by its URI (`{ uri, name, type }`); a Blob (the web, tests) is sent as it is.
 */
export async function uploadDocument(connection: Connection, file: { uri: string; name: string; mimeType: string } | Blob, name?: string): Promise<Document> {
  const form = new FormData();
  if (file instanceof Blob) form.append('file', file, name ?? 'shared');
  else form.append('file', { uri: file.uri, name: file.name, type: file.mimeType } as unknown as Blob);
  return unwrap(
    connection.agents.POST('/v1/documents', {
      body: form as never,
      bodySerializer: (body: unknown) => body as FormData,
    }),
  );
}
