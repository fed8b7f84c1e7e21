/** Small hooks shared by the views. */
import { useEffect, useState } from 'preact/hooks';
import type { RegistryModel } from './model.js';

/**
 * Re-renders the caller when the model changed (at most once per animation frame); returns the
 * model's version. A tick of its own drives the re-render: a new model (another token) may
 * reach the same version number the old one had.
 */
export function useModelVersion(model: RegistryModel): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    setTick((t) => t + 1);
    return model.subscribe(() => setTick((t) => t + 1));
  }, [model]);
  return model.version;
}
