/**
 * GDAL, the field's reference reader and converter, as the tests and benchmarks use it: whether
 * `ogr2ogr` is installed (scripts/test.sh installs gdal-bin), and which version.
 */
import { execFileSync } from 'node:child_process';

/** `GDAL 3.6.2, released 2023/01/02`, or null when ogr2ogr is not installed. */
export function gdalVersion(): string | null {
  try {
    return execFileSync('ogr2ogr', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

export const hasGdal = (): boolean => gdalVersion() !== null;
