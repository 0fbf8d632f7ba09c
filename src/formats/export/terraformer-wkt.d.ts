/** Types of the part of @terraformer/wkt (2.2.2, shipped without them) the exporters use. */
declare module '@terraformer/wkt' {
  export function geojsonToWKT(geometry: { type: string; coordinates: unknown }): string;
}
