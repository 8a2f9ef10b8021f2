/** The CHANGELOG.md section of `version` without its heading; undefined when there is none. */
export function changelogSection(text: string, version: string): string | undefined;
