export function PageHeader({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <header className="flex flex-wrap items-center gap-2 border-b border-base-300 bg-base-100 px-4 py-3">
      <h1 className="flex-1 text-lg font-semibold">{title}</h1>
      {children}
    </header>
  );
}
