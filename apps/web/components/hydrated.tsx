'use client';
// Marks the page interactive (`<body data-hydrated>`) once React has hydrated it: the browser
// tests wait for it before using forms whose handlers React attaches.

import { useEffect } from 'react';

export function Hydrated() {
  useEffect(() => {
    document.body.dataset.hydrated = '1';
  }, []);
  return null;
}
