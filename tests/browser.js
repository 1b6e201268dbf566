// One headless Chromium (Debian's, driven by playwright-core) for the picture and page tests.
// Reads a JSON job on stdin: {chromium, nodeModules, flags, userDataDir, mermaid: [[id, source], …],
// pages: [path, …], screenshots: [[path, png], …]}; writes {mermaid: [[id, error], …],
// pages: [[path, problem], …], rendered, opened, math}.
const path = require('path');
const { chromium } = require('playwright-core');

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

async function main(job) {
  const userDataDir = job.userDataDir;
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: job.chromium, headless: true, args: job.flags || FLAGS, offline: true });
  const out = { mermaid: [], pages: [], rendered: 0, opened: 0, math: 0 };
  try {
    if (job.mermaid && job.mermaid.length) {
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', e => errors.push(String(e)));
      await page.setContent('<!DOCTYPE html><html><body></body></html>');
      await page.addScriptTag({ path: path.join(job.nodeModules, 'mermaid', 'dist', 'mermaid.min.js') });
      out.mermaid = await page.evaluate(async (items) => {
        mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
        const failed = [];
        let rendered = 0;
        for (const [id, code] of items) {
          try {
            await mermaid.parse(code);
            const { svg } = await mermaid.render(id, code);
            if (!svg.includes('<svg') || svg.includes('Syntax error')) failed.push([id, 'no diagram']);
            else rendered++;
          } catch (e) { failed.push([id, String(e.message || e)]); }
        }
        return { failed, rendered };
      }, job.mermaid).then(r => { out.rendered = r.rendered; return r.failed; });
      for (const e of errors) out.mermaid.push(['page', e]);
      await page.close();
    }
    for (const file of job.pages || []) {
      const page = await context.newPage();
      const problems = [];
      page.on('console', m => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
      page.on('pageerror', e => problems.push('page error: ' + String(e)));
      page.on('request', r => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:'))
        problems.push('network: ' + r.url()); });
      await page.goto('file://' + file, { waitUntil: 'load' });
      const found = await page.evaluate(() => ({
        errors: document.querySelectorAll('merror, .katex-error').length,
        raw: Array.from(document.querySelectorAll('.math')).filter(e => {
          const m = e.querySelector('math');
          return !m || m.getBoundingClientRect().width === 0; }).length,
        dollars: (() => { const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          let n = 0; while (w.nextNode()) { const t = w.currentNode;
            if (!t.parentElement.closest('code, pre') && t.textContent.includes('$')) n++; } return n; })(),
        math: document.querySelectorAll('math').length,
        lang: document.documentElement.lang,
        fontsOk: Array.from(document.fonts).filter(f => f.family.includes('KaTeX') && f.status === 'error').length,
        // what Chromium ignores: alignment marks as identifiers, MathML line breaks
        marks: Array.from(document.querySelectorAll('mi')).filter(e => e.textContent.trim() === '&').length,
        linebreaks: document.querySelectorAll('mspace[linebreak]').length,
        // a multi-line display: its rows and its height on the screen; one line is about 1.1em
        aligned: Array.from(document.querySelectorAll('.math.display')).filter(e => e.querySelector('mtable'))
          .map(e => [e.querySelectorAll('mtr').length, e.querySelector('math').getBoundingClientRect().height,
                     parseFloat(getComputedStyle(e.querySelector('math')).fontSize)]),
        // lines of a display (without fractions, roots or limits) of unequal height: uneven spacing
        uneven: Array.from(document.querySelectorAll('.math.display mtable')).map(t => Array.from(t.children)
          .filter(r => !r.querySelector('mfrac, msqrt, mroot, munder, mover, munderover'))
          .map(r => r.getBoundingClientRect().height)).filter(h => h.length > 1
            && Math.max(...h) - Math.min(...h) > 1).map(h => h.map(x => x.toFixed(1)).join('/')),
        // code in a table cell (a shape, a name) set on more than one line
        wrapped: Array.from(document.querySelectorAll('td code')).filter(e => e.getClientRects().length > 1)
          .map(e => e.textContent),
        // a picture or a table past the text's column (main's content box): it scrolls inside instead
        outside: (() => { const m = document.querySelector('main'); if (!m) return [];
          const r = m.getBoundingClientRect(), s = getComputedStyle(m);
          const left = r.left + parseFloat(s.paddingLeft), right = r.right - parseFloat(s.paddingRight);
          return Array.from(m.querySelectorAll('figure, div.table')).filter(e => {
            const b = e.getBoundingClientRect(); return b.left < left - 1 || b.right > right + 1; })
            .map(e => `${e.tagName.toLowerCase()}.${e.className}`); })(),
        // table cells and the pictures' labels in a face other than the text's (the names in the
        // pictures: other than code's)
        faces: (() => { const face = e => getComputedStyle(e).fontFamily;
          const text = face(document.body), code = document.querySelector('code');
          const other = [];
          for (const e of document.querySelectorAll('td, th, svg text'))
            if (e.getAttribute('font-family') !== 'monospace' && face(e) !== text)
              other.push(`${e.tagName.toLowerCase()} in ${face(e)}`);
          for (const e of document.querySelectorAll('svg [font-family="monospace"]'))
            if (code && face(e) !== face(code)) other.push(`${e.tagName.toLowerCase()} (code) in ${face(e)}`);
          return Array.from(new Set(other)); })(),
        // a label of the model's picture wider than the box it stands in
        spills: Array.from(document.querySelectorAll('svg.model-graph')).flatMap(svg => {
          const boxes = Array.from(svg.querySelectorAll('rect')).map(r => r.getBBox());
          return Array.from(svg.querySelectorAll('text')).filter(t => { const b = t.getBBox();
            const cx = b.x + b.width / 2, cy = b.y + b.height / 2;
            const box = boxes.filter(r => cx >= r.x && cx <= r.x + r.width && cy >= r.y && cy <= r.y + r.height)
              .sort((p, q) => p.width - q.width)[0];
            return box && (b.x < box.x || b.x + b.width > box.x + box.width); }).map(t => t.textContent); }),
        // a Japanese paragraph whose last line holds one character and its 。 (「…されていませ／ん。」)
        runts: document.documentElement.lang !== 'ja' ? [] : Array.from(document.querySelectorAll('p, li')).filter(p => {
          const w = document.createTreeWalker(p, NodeFilter.SHOW_TEXT); let last = null;
          while (w.nextNode()) if (w.currentNode.textContent.trim()) last = w.currentNode;
          const s = last ? last.textContent.replace(/\s+$/, '') : '';
          if (s.length < 3 || !s.endsWith('。')) return false;
          const top = k => { const r = document.createRange(); r.setStart(last, k); r.setEnd(last, k + 1);
            return r.getBoundingClientRect().top; };
          return top(s.length - 2) > top(s.length - 3) + 2; }).map(p => p.textContent.slice(-12)),
        // a table cell's type label after its name, "(…)", broken across lines (「（埋め／込みの和）」)
        labels: Array.from(document.querySelectorAll('td')).flatMap(td => {
          const w = document.createTreeWalker(td, NodeFilter.SHOW_TEXT), out = [];
          while (w.nextNode()) { const n = w.currentNode, s = n.textContent.trim();
            if (/^[(（][^()（）]+[)）]$/.test(s) && n.parentElement.closest('code') === null) {
              const r = document.createRange(); r.selectNodeContents(n);
              const tops = new Set(Array.from(r.getClientRects()).filter(b => b.width > 0).map(b => Math.round(b.top)));
              if (tops.size > 1) out.push(s); } }
          return out; }),
        // a bar of the chart too thin to be seen as a bar
        hairlines: Array.from(document.querySelectorAll('svg.param-bars rect'))
          .filter(e => e.getBoundingClientRect().width < 2).length,
      }));
      if (found.marks) problems.push(`${found.marks} alignment mark(s) shown as <mi>&</mi>`);
      if (found.linebreaks) problems.push(`${found.linebreaks} MathML line break(s) (ignored by Chromium)`);
      for (const [rows, height, size] of found.aligned)
        if (height < rows * size) problems.push(`a display of ${rows} lines only ${height}px high`);
      for (const rows of found.uneven) problems.push(`lines of a display of unequal height: ${rows}`);
      for (const code of found.wrapped) problems.push(`code wrapped in a table cell: ${code}`);
      for (const box of found.outside) problems.push(`past the text column: ${box}`);
      for (const f of found.faces) problems.push(`a face other than the text's: ${f}`);
      for (const label of found.spills) problems.push(`a label wider than its box: ${label}`);
      for (const end of found.runts) problems.push(`a paragraph's last line of one character: ${end}`);
      for (const label of found.labels) problems.push(`a type label broken in a table cell: ${label}`);
      if (found.hairlines) problems.push(`${found.hairlines} bar(s) under 2px wide`);
      out.aligned = (out.aligned || 0) + found.aligned.length;
      if (found.errors) problems.push(`${found.errors} math error(s)`);
      if (found.dollars) problems.push(`${found.dollars} text(s) with a $ left (math not converted)`);
      if (found.raw) problems.push(`${found.raw} math element(s) not rendered`);
      if (!found.lang) problems.push('no lang attribute');
      if (found.fontsOk) problems.push(`${found.fontsOk} KaTeX font(s) failed to load`);
      const shot = (job.screenshots || []).find(s => s[0] === file);
      if (shot) await page.screenshot({ path: shot[1], fullPage: true });
      for (const p of problems) out.pages.push([file, p]);
      out.math += found.math;
      out.opened++;
      await page.close();
    }
  } finally {
    await context.close();
  }
  return out;
}

let data = '';
process.stdin.on('data', c => data += c);
process.stdin.on('end', () => {
  main(JSON.parse(data)).then(
    r => process.stdout.write(JSON.stringify(r)),
    e => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
});
