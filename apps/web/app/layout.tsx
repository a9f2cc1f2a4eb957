import type { Metadata, Viewport } from 'next';
import { cookies } from 'next/headers';

import { Hydrated } from '@/components/hydrated';

import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Posey', template: '%s · Posey' },
  description: 'Your self-hosted companion',
  manifest: '/manifest.webmanifest',
  icons: { icon: '/icon.svg' },
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  // The composer stays above the on-screen keyboard.
  interactiveWidget: 'resizes-content',
  themeColor: [
    { media: '(prefers-color-scheme: light)', color: '#ffffff' },
    { media: '(prefers-color-scheme: dark)', color: '#1d232a' },
  ],
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const theme = (await cookies()).get('posey-theme')?.value;
  return (
    <html lang="en" data-theme={theme === 'light' || theme === 'dark' ? theme : undefined}>
      <body className="min-h-dvh bg-base-200 text-base-content antialiased">
        {children}
        <Hydrated />
      </body>
    </html>
  );
}
