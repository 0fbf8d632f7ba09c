/** Types of the part of @terraformer/wkt (2.2.2, shipped without them) the exporters and the importer use. */
declare module '@terraformer/wkt' {
  export function geojsonToWKT(geometry: { type: string; coordinates: unknown }): string;
  export function wktToGeoJSON(wkt: string): { type: string; coordinates: unknown };
}
