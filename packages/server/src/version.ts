/** The version of @rosterjs/server (kept equal to package.json's by the release script). */
export const VERSION = '0.1.0';
