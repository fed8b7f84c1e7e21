/** Small hooks shared by the views. */
import { useEffect, useState } from 'preact/hooks';
import type { RegistryModel } from './model.js';

/** Re-renders the caller when the model changed (at most once per animation frame); returns its version. */
export function useModelVersion(model: RegistryModel): number {
  const [version, setVersion] = useState(model.version);
  useEffect(() => model.subscribe(() => setVersion(model.version)), [model]);
  return version;
}
