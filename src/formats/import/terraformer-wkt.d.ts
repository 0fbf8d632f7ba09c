/** Types of the part of @terraformer/wkt (2.2.2, shipped without them) the importer uses. */
declare module '@terraformer/wkt' {
  export function wktToGeoJSON(wkt: string): { type: string; coordinates: unknown };
}
