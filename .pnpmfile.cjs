// pnpm hooks for this workspace.
//
// beforePacking: the published package.json leaves out devDependencies that
// only this repository has. The plugins' and @jobslot/jest's unit tests import
// the private workspace package @jobslot/e2e (test/support); npm never
// installs a dependency's devDependencies, but a package.json naming a
// package that is on no registry misleads anyone who reads or installs from
// the tarball itself.
module.exports = {
  hooks: {
    beforePacking(pkg) {
      if (pkg.devDependencies) {
        delete pkg.devDependencies['@jobslot/e2e'];
        if (Object.keys(pkg.devDependencies).length === 0) delete pkg.devDependencies;
      }
      return pkg;
    },
  },
};
