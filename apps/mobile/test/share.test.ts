// The share target's sorting of what another app shared: text and links to chat about or
// remember, documents the agents read, and what they cannot (photos) said plainly.

import { chatAbout, sortShared } from '../src/lib/share';

it('takes shared text and links as text', () => {
  expect(sortShared([{ value: '  buy oat milk ', shareType: 'text' }, { value: 'https://example.org/a', shareType: 'url' }])).toEqual([
    { kind: 'text', text: 'buy oat milk' },
    { kind: 'text', text: 'https://example.org/a' },
  ]);
  expect(chatAbout('buy oat milk')).toBe("I'm sharing this with you:\n\nbuy oat milk");
});

it('takes PDFs, Word files, HTML, Markdown and text files as documents, by type or by name', () => {
  const sorted = sortShared([
    { value: 'content://x/1', shareType: 'file', contentUri: 'file:///cache/Lease%202026.pdf', contentMimeType: 'application/pdf', contentSize: 1234 },
    { value: 'file:///cache/notes.md', shareType: 'file', mimeType: 'application/octet-stream' },
    { value: 'file:///cache/cv.docx', shareType: 'file', mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', originalName: 'CV.docx' },
  ]);
  expect(sorted).toEqual([
    { kind: 'document', uri: 'file:///cache/Lease%202026.pdf', name: 'Lease 2026.pdf', mimeType: 'application/pdf', size: 1234 },
    { kind: 'document', uri: 'file:///cache/notes.md', name: 'notes.md', mimeType: 'application/octet-stream', size: null },
    { kind: 'document', uri: 'file:///cache/cv.docx', name: 'CV.docx', mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', size: null },
  ]);
});

it('says why a photo or another file cannot be read', () => {
  const [photo, zip] = sortShared([
    { value: 'file:///cache/IMG_1.jpg', shareType: 'image', mimeType: 'image/jpeg' },
    { value: 'file:///cache/a.zip', shareType: 'file', mimeType: 'application/zip' },
  ]);
  expect(photo).toMatchObject({ kind: 'unsupported', name: 'IMG_1.jpg', reason: expect.stringMatching(/photos/) as unknown });
  expect(zip).toMatchObject({ kind: 'unsupported', name: 'a.zip', reason: expect.stringMatching(/PDF/) as unknown });
});
