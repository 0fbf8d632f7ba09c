/**
 * The offline basemap: land, borders and coastlines (Natural Earth, from world-atlas), the major
 * cities and the GSHHG rivers, all read from the hub's own /assets into the style's sources.
 */
import type { FeatureCollection, Feature as GJFeature, Geometry as GJGeometry } from 'geojson';
import type { GeoJSONSource, Map as MapLibre } from 'maplibre-gl';
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import type { Pos } from '../geo/path.ts';

/** Fill the basemap's sources (a failure leaves the sea, and is logged). */
export async function loadBasemap(map: MapLibre): Promise<void> {
  const set = (id: string, data: FeatureCollection | GJFeature | GJGeometry) =>
    (map.getSource(id) as GeoJSONSource | undefined)?.setData(data);
  try {
    const [land, countries, cities, rivers] = await Promise.all([
      asset<Topology>('land-50m.json'),
      asset<Topology>('countries-50m.json'),
      asset<FeatureCollection>('cities.json'),
      asset<FeatureCollection>('rivers.json'),
    ]);
    const byCountry = countries.objects.countries as GeometryCollection;
    // Filled country by country (small polygons triangulate cleanly), outlined by the coastline.
    set('land', landPolygons(feature(countries, byCountry)));
    set('coast', landPolygons(feature(land, land.objects.land as GeometryCollection)));
    set(
      'borders',
      mesh(countries, byCountry, (a, b) => a !== b),
    );
    set('cities', cities);
    set('rivers', rivers);
  } catch (err) {
    console.error('basemap', err);
  }
}

/** One of the hub's /assets, as JSON. */
async function asset<T>(name: string): Promise<T> {
  const r = await fetch(`/assets/${name}`);
  if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
  return r.json() as Promise<T>;
}

/**
 * One feature per polygon, latitudes clamped to Web Mercator's limit (Antarctica's ring runs
 * along the pole): a giant multipolygon triangulates badly at low zoom.
 */
function landPolygons(fc: FeatureCollection | GJFeature): FeatureCollection {
  const out: GJFeature[] = [];
  const clamp = (rings: Pos[][]) =>
    rings.map((r) => r.map(([x, y]) => [x, Math.max(-85, Math.min(85, y))] as Pos));
  const add = (g: GJGeometry | null) => {
    if (g?.type === 'Polygon')
      out.push({
        type: 'Feature',
        properties: {},
        geometry: { type: 'Polygon', coordinates: clamp(g.coordinates as Pos[][]) },
      });
    else if (g?.type === 'MultiPolygon')
      for (const p of g.coordinates) add({ type: 'Polygon', coordinates: p });
  };
  for (const f of fc.type === 'FeatureCollection' ? fc.features : [fc]) add(f.geometry);
  return { type: 'FeatureCollection', features: out };
}
