// What a person is told when agents refused a change or a delete because the event changed on
// another device since the page read it (a 412 on its ETag): nothing was overwritten, reload.

export const STALE_MESSAGE = 'This event was changed on another device — reload to see it as it is now.';

export function ChangedElsewhere({ message = STALE_MESSAGE, onReload }: { message?: string; onReload?: () => void }) {
  return (
    <div role="alert" className="alert alert-error alert-soft mt-3 text-sm">
      <span>{message}</span>
      {onReload && (
        <button type="button" className="btn btn-sm" onClick={onReload}>
          Reload
        </button>
      )}
    </div>
  );
}
