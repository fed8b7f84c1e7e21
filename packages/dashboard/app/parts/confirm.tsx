/** An in-page confirmation (no window.confirm): says what will happen, then Confirm or Cancel. */
import type { ComponentChildren } from 'preact';

/** The dialog. */
export function Confirm({ children, onConfirm, onCancel }: { children: ComponentChildren; onConfirm: () => void; onCancel: () => void }) {
  return (
    <div class="overlay">
      <div class="dialog" role="dialog" aria-modal="true">
        <p>{children}</p>
        <div class="dialog-buttons">
          <button class="confirm" onClick={onConfirm}>
            Confirm
          </button>
          <button class="cancel" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
