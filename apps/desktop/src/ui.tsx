// The few pieces every page shares, in daisyUI's classes.

import type { ReactNode } from 'react';

export function ErrorText(props: { error: string | null | undefined }) {
  if (!props.error) return null;
  return (
    <div role="alert" className="alert alert-error alert-soft text-sm">
      {props.error}
    </div>
  );
}

export function Page(props: { title: string; actions?: ReactNode; children: ReactNode }) {
  return (
    <section className="flex h-full flex-col gap-4 overflow-y-auto p-6">
      <header className="flex items-center justify-between gap-4">
        <h1 className="text-2xl font-semibold">{props.title}</h1>
        <div className="flex gap-2">{props.actions}</div>
      </header>
      {props.children}
    </section>
  );
}

export function Empty(props: { children: ReactNode }) {
  return <p className="text-base-content/60">{props.children}</p>;
}
