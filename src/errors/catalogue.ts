/**
 * The one error catalogue. Every error the service can answer is a line here: a stable code (COS's own
 * codes for the object service, the IDCardOCR spec's codes for recognition), the HTTP status it is sent
 * with, and a message. Messages never carry field values or image bytes (ID data is personal data).
 *
 * The COS XML body (`<Error><Code/><Message/><Resource/><RequestId/><TraceId/></Error>`) and any future
 * JSON body are rendered from this catalogue in one place (src/server/errors.ts).
 * README.md's error table is kept in step by src/errors/catalogue.test.ts.
 */
export const ERROR_CATALOGUE = {
  // --- COS object service (https://cloud.tencent.com/document/product/436/7730) ---
  AccessDenied: { status: 403, message: 'Access denied.' },
  SignatureDoesNotMatch: { status: 403, message: 'The calculated signature does not match the one provided.' },
  InvalidAccessKeyId: { status: 403, message: 'The SecretId in the request does not exist.' },
  RequestTimeTooSkewed: { status: 403, message: 'The difference between the request time and the server time is too large.' },
  MissingContentLength: { status: 411, message: 'Content-Length is required.' },
  InvalidDigest: { status: 400, message: 'The Content-MD5 is not valid base64 of 16 bytes.' },
  BadDigest: { status: 400, message: 'The Content-MD5 does not match the received body.' },
  IncompleteBody: { status: 400, message: 'The request body is shorter than Content-Length.' },
  EntityTooLarge: { status: 400, message: 'The object is larger than the allowed maximum.' },
  InvalidArgument: { status: 400, message: 'A request argument is not valid.' },
  InvalidBucketName: { status: 400, message: 'The bucket name must be <name>-<appid>: lower-case letters, digits and hyphens.' },
  InvalidObjectName: { status: 400, message: 'The object key is not valid.' },
  KeyTooLong: { status: 400, message: 'The object key is longer than 850 bytes.' },
  InvalidRange: { status: 416, message: 'The requested range is not satisfiable.' },
  MethodNotAllowed: { status: 405, message: 'The method is not allowed on this resource.' },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist.' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.' },
  BucketAlreadyExists: { status: 409, message: 'The bucket already exists.' },
  BucketAlreadyOwnedByYou: { status: 409, message: 'The bucket already exists and is owned by you.' },
  BucketNotEmpty: { status: 409, message: 'The bucket is not empty.' },
  SlowDown: { status: 503, message: 'Too many requests are queued; retry later.' },
  InternalError: { status: 500, message: 'The server hit an internal error.' },
  NotImplemented: { status: 501, message: 'This operation is not implemented.' },

  // --- ci-process=IDCardOCR (../shared/reference/cos-ci-idcardocr-spec.md, "Error Codes") ---
  'FailedOperation.DownLoadError': { status: 400, message: 'Failed to read the image.' },
  'FailedOperation.EmptyImageError': { status: 400, message: 'The image is empty.' },
  'FailedOperation.IdCardInfoIllegal': { status: 400, message: 'The ID card information is invalid.' },
  'FailedOperation.ImageBlur': { status: 400, message: 'The image is too blurry to read.' },
  'FailedOperation.ImageDecodeFailed': { status: 400, message: 'The image could not be decoded (PNG, JPEG or BMP expected).' },
  'FailedOperation.ImageNoIdCard': { status: 400, message: 'No ID card was found in the image.' },
  'FailedOperation.ImageSizeTooLarge': { status: 400, message: 'The image is larger than 7 MB after base64 encoding, or has too many pixels.' },
  'FailedOperation.MultiCardError': { status: 400, message: 'More than one card was found in the image.' },
  'FailedOperation.CardSideError': { status: 400, message: 'The image holds only the other side of the card than CardSide asks for.' },
  'FailedOperation.OcrFailed': { status: 400, message: 'The card fields could not be read.' },
  'FailedOperation.UnKnowError': { status: 500, message: 'An unknown error occurred.' },
  'InvalidParameter.ConfigFormatError': { status: 400, message: 'Config must be a JSON object of the documented boolean keys.' },
  'InvalidParameterValue.InvalidParameterValueLimit': { status: 400, message: 'A parameter value is not allowed.' },
  'LimitExceeded.TooLargeFileError': { status: 400, message: 'The file is too large.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** An error the service answers with a catalogued code. `detail` may refine the message; never put ID data in it. */
export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ?? ERROR_CATALOGUE[code].message, options);
    this.name = 'ServiceError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
  }
}

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof ServiceError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'ServiceError' && typeof (e as { code?: unknown }).code === 'string' && (e as { code: string }).code in ERROR_CATALOGUE);
}
