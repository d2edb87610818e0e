/**
 * Debian's Chromium for the browser tests, started headless with the flags this closed network needs
 * (without the background-networking ones Chromium keeps trying to reach Google's hosts).
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why Chromium cannot be used here, or false. */
export const chromiumMissing = (): string | false =>
  existsSync(CHROMIUM) ? false : "it does not exist (install Debian's chromium: apt-get install -y chromium)";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
