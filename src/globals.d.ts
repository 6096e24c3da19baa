// Build-time constants from vite.config.ts `define`.

/** The build's id (`PRM_BUILD_ID`, else the package version), shown in the model panel. */
declare const __PRM_BUILD__: string;
/** onnxruntime-web's version: names the service worker's cache of the asyncify files. */
declare const __ORT_VERSION__: string;
