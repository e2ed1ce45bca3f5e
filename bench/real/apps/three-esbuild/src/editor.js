// A scene editor: every addon (loaders, exporters, controls, geometries), picked by name at run time.
import * as THREE from 'three';
import * as Addons from 'three/addons';

export function createEditor(canvas) {
  const renderer = new THREE.WebGLRenderer({ canvas });
  const scene = new THREE.Scene();
  const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 1000);
  const controls = new Addons.TransformControls(camera, canvas);
  scene.add(controls.getHelper());
  return {
    renderer,
    scene,
    camera,
    load(kind, url, done) {
      const Loader = Addons[`${kind}Loader`];
      new Loader().load(url, (result) => scene.add(result.scene ?? result));
    },
    export(kind) {
      const Exporter = Addons[`${kind}Exporter`];
      return new Exporter().parse(scene);
    },
    addons: Object.keys(Addons),
  };
}
