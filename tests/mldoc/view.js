#!/usr/bin/env node
// Parse Logseq markdown pages with mldoc (Logseq's own parser) and print what Logseq sees.
//
// stdin:  one JSON object per line: {"id": <any>, "text": "<page text>"}
// stdout: one JSON object per input line, same order:
//   {"id", "properties": {key: raw value}, "blocks": [{index, depth, parent, text, content,
//    properties, start, end}]}   or   {"id", "error": "..."}
//
// Blocks follow Logseq's graph-parser (deps/graph-parser/.../block.cljs, file graphs):
// a block is a "Heading" node; its content runs from its start_pos to the next heading's
// start_pos; the first properties node after a heading holds its properties; properties
// before the first heading are the page's (the pre-block). start_pos/end_pos are UTF-8
// byte offsets, so every slice is taken on a Buffer.
'use strict';

const readline = require('readline');
const { Mldoc } = require('mldoc');

// Logseq's default-config-map for :markdown (graph_parser/mldoc.cljc); nil entries dropped.
const CONFIG = JSON.stringify({
  toc: false,
  parse_outline_only: false,
  heading_number: false,
  keep_line_break: true,
  format: 'Markdown',
  heading_to_list: false,
  export_md_remove_options: [],
});

function isProperties(node) {
  return node[0] === 'Property_Drawer' || node[0] === 'Properties';
}

// mldoc gives [key, value, references]; later keys win, as Logseq's `into {}` does.
function propertiesDict(node) {
  const out = {};
  for (const entry of node[1] || []) {
    out[String(entry[0])] = String(entry[1]);
  }
  return out;
}

// Logseq's split-lines: "\n" or "\r\n" separators, trailing empty lines dropped.
function splitLines(s) {
  const lines = s.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

// Like Logseq's text/remove-level-spaces then mldoc/remove-indentation-spaces: drop the
// bullet from the first line, and from each later line its (level - 1) tabs + 2 spaces when
// that prefix is blank (otherwise trim the line's left side).
function stripBlock(raw, level) {
  const lines = splitLines(raw);
  if (!lines.length) return '';
  lines[0] = lines[0].replace(/^\s+/, '').replace(/^-+[ \t]?/, '');
  const width = level + 1;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    lines[i] = line.slice(0, width).trim() === '' ? line.slice(width) : line.replace(/^\s+/, '');
  }
  return lines.join('\n').replace(/\s+$/, '');
}

function viewPage(text) {
  const buf = Buffer.from(text, 'utf8');
  const ast = text.trim() === '' ? [] : JSON.parse(Mldoc.parseJson(text, CONFIG));
  const headingIdx = [];
  ast.forEach(([node], i) => {
    if (node[0] === 'Heading') headingIdx.push(i);
  });

  let pageProps = {};
  const firstHeading = headingIdx.length ? headingIdx[0] : ast.length;
  for (let i = 0; i < firstHeading; i++) {
    if (isProperties(ast[i][0])) {
      pageProps = propertiesDict(ast[i][0]);
      break; // Logseq keeps the first properties node of the pre-block
    }
  }

  const blocks = [];
  const stack = []; // open ancestors: indexes into blocks
  headingIdx.forEach((astIndex, n) => {
    const [node, pos] = ast[astIndex];
    const level = node[1].level;
    const start = pos.start_pos;
    const nextAst = n + 1 < headingIdx.length ? headingIdx[n + 1] : ast.length;
    const end = n + 1 < headingIdx.length ? ast[nextAst][1].start_pos : buf.length;

    let props = {};
    let propRange = null;
    for (let i = astIndex + 1; i < nextAst; i++) {
      if (isProperties(ast[i][0])) {
        props = propertiesDict(ast[i][0]);
        propRange = [ast[i][1].start_pos, ast[i][1].end_pos];
        break;
      }
    }
    const content = buf.subarray(start, end).toString('utf8');
    // The block's text without the property lines mldoc took as its properties.
    const withoutProps = propRange
      ? Buffer.concat([buf.subarray(start, propRange[0]), buf.subarray(propRange[1], end)])
          .toString('utf8')
      : content;

    while (stack.length && blocks[stack[stack.length - 1]].depth >= level) stack.pop();
    const parent = stack.length ? stack[stack.length - 1] : null;
    const index = blocks.length;
    blocks.push({
      index,
      depth: level,
      parent,
      text: stripBlock(withoutProps, level),
      content: stripBlock(content, level),
      properties: props,
      start,
      end,
    });
    stack.push(index);
  });
  return { properties: pageProps, blocks };
}

function main() {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  const out = [];
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    let id = null;
    try {
      const req = JSON.parse(line);
      id = req.id === undefined ? null : req.id;
      out.push(JSON.stringify({ id, ...viewPage(String(req.text)) }));
    } catch (err) {
      out.push(JSON.stringify({ id, error: String(err && err.stack ? err.stack : err) }));
    }
    if (out.length >= 64) process.stdout.write(out.splice(0).join('\n') + '\n');
  });
  rl.on('close', () => {
    if (out.length) process.stdout.write(out.join('\n') + '\n');
  });
}

main();
