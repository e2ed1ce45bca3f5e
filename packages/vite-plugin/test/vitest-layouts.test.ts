// Which vite servers are vitest's, and what the root plugin adds to inline
// projects. The real vitest runs of every layout under make are in
// test/vitest-projects.test.ts.
import { describe, expect, it } from 'vitest';
import { isVitestRootServer, isVitestServer, sizeInlineProjects, type VitestSizer } from '../src/vitest.js';

// Plugin names as vitest 4.1 gives them (its dist: VitestPlugin, WorkspaceVitestPlugin, @vitest/browser).
const root = [{ name: 'vitest' }, { name: 'vitest:environments-module-runner' }, { name: 'jobslot' }];
const project = [{ name: 'vitest:tags' }, { name: 'jobslot' }, { name: 'vitest:project:name' }, { name: 'vitest:project' }, { name: 'vitest:project:server' }];
const browser = [{ name: 'vitest:browser' }, { name: 'jobslot' }];
const app = [{ name: 'vite:react-babel' }, { name: 'jobslot' }, { name: 'vitest-tsconfig-paths' }];

describe('isVitestServer', () => {
  it("is true for every server vitest starts: the root's, a project's, the browser mode's", () => {
    expect(isVitestServer(root)).toBe(true);
    expect(isVitestServer(project)).toBe(true);
    expect(isVitestServer(browser)).toBe(true);
  });

  it('is false for an app, even with a plugin whose name starts with vitest but not vitest:', () => {
    expect(isVitestServer(app)).toBe(false);
  });

  it('knows the root server from the others', () => {
    expect(isVitestRootServer(root)).toBe(true);
    expect(isVitestRootServer(project)).toBe(false);
    expect(isVitestRootServer(browser)).toBe(false);
  });
});

describe('sizeInlineProjects', () => {
  const sizer: VitestSizer = { name: 'jobslot:vitest', configureVitest() {} };

  it('adds the sizer to each inline project, once, and leaves globs, files and promises alone', () => {
    const own = { name: 'own' };
    const pending = Promise.resolve({});
    const test = {
      projects: ['packages/*', { test: { name: 'unit' } }, { extends: true, plugins: [own], test: { name: 'e2e' } }, pending],
    };
    sizeInlineProjects(test, sizer);
    sizeInlineProjects(test, sizer); // a watcher's restart sees the same objects
    expect(test.projects[0]).toBe('packages/*');
    expect(test.projects[1]).toEqual({ test: { name: 'unit' }, plugins: [sizer] });
    expect(test.projects[2]).toEqual({ extends: true, plugins: [own, sizer], test: { name: 'e2e' } });
    expect(test.projects[3]).toBe(pending);
  });

  it('does nothing without inline projects', () => {
    const test = { include: ['a'] };
    sizeInlineProjects(test, sizer);
    sizeInlineProjects(undefined, sizer);
    expect(test).toEqual({ include: ['a'] });
  });
});
