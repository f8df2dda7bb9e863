import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'

// Debian's chromium (apt install chromium): CI installs it; playwright's own browser downloads are not used.
export const CHROMIUM = '/usr/bin/chromium'

export interface OpenedPage {
  browser: Browser
  page: Page
  // Every request the page tried other than its own file:// URL (each one was blocked).
  blocked: string[]
  close(): Promise<void>
}

// Opens a local HTML file in headless chromium with the network shut: the report must be self-contained,
// so anything it tries to fetch is refused and listed for the caller to assert on.
export async function openReport(file: string, viewport = { width: 1400, height: 900 }): Promise<OpenedPage> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the report's browser test`)
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
    timeout: 60_000,
  })
  try {
    const context = await browser.newContext({ viewport })
    const page = await context.newPage()
    page.setDefaultTimeout(30_000)
    const url = pathToFileURL(file).href
    const blocked: string[] = []
    await context.route('**', (route) => {
      const target = route.request().url()
      if (target === url) return route.continue()
      blocked.push(target)
      return route.abort('blockedbyclient')
    })
    await page.goto(url, { waitUntil: 'load' })
    return { browser, page, blocked, close: () => browser.close() }
  } catch (err) {
    await browser.close()
    throw err
  }
}
