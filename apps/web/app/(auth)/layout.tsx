export default function AuthLayout({ children }: { children: React.ReactNode }) {
  return (
    <main className="flex min-h-dvh items-center justify-center p-4">
      <div className="card w-full max-w-sm bg-base-100 shadow-md">
        <div className="card-body gap-4">
          <p className="text-center text-2xl font-bold" aria-hidden="true">
            Posey
          </p>
          {children}
        </div>
      </div>
    </main>
  );
}
