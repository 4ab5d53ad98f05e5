/** GET Service and GET Bucket bodies, in the element order COS sends them (and the SDK maps to fields). */
import type { BucketInfo, ListObjectsOptions, ListObjectsResult } from '../storage/objectStore.ts';
import { camSafeUrlEncode } from './signature.ts';
import { el, node, xmlDocument } from './xml.ts';

/** One local owner: this service has no accounts, only credentials. */
const OWNER_ID = 'qcs::cam::uin/0:uin/0';

export function listBucketsXml(buckets: BucketInfo[]): string {
  return xmlDocument(
    node('ListAllMyBucketsResult', [
      node('Owner', [el('ID', OWNER_ID), el('DisplayName', '0')]),
      node(
        'Buckets',
        buckets.map((b) => node('Bucket', [el('Name', b.name), el('Location', b.region), el('CreationDate', b.createdAt.toISOString())])),
      ),
    ]),
  );
}

/** `encoding-type=url`: keys percent-encoded (as the SDK encodes paths, `/` kept) so any key survives XML. */
function encodeKey(s: string): string {
  return camSafeUrlEncode(s).replace(/%2F/g, '/');
}

export function listBucketXml(bucket: string, opts: ListObjectsOptions, urlEncoding: boolean, r: ListObjectsResult): string {
  const enc = urlEncoding ? encodeKey : (s: string) => s;
  const parts = [el('Name', bucket)];
  if (urlEncoding) parts.push(el('EncodingType', 'url'));
  parts.push(el('Prefix', enc(opts.prefix ?? '')), el('Marker', enc(opts.marker ?? '')), el('MaxKeys', opts.maxKeys));
  if (opts.delimiter) parts.push(el('Delimiter', enc(opts.delimiter)));
  parts.push(el('IsTruncated', r.isTruncated));
  if (r.isTruncated && r.nextMarker !== undefined) parts.push(el('NextMarker', enc(r.nextMarker)));
  for (const o of r.contents) {
    parts.push(
      node('Contents', [
        el('Key', enc(o.key)),
        el('LastModified', o.lastModified.toISOString()),
        el('ETag', o.etag),
        el('Size', o.size),
        node('Owner', [el('ID', '0'), el('DisplayName', '0')]),
        el('StorageClass', 'STANDARD'),
      ]),
    );
  }
  for (const p of r.commonPrefixes) parts.push(node('CommonPrefixes', el('Prefix', enc(p))));
  return xmlDocument(node('ListBucketResult', parts));
}
