// The gallery: instanced thumbnails, post-processing and a CSS3D overlay, paged by rxjs.
import * as THREE from 'three';
import { EffectComposer } from 'three/addons/postprocessing/EffectComposer.js';
import { RenderPass } from 'three/addons/postprocessing/RenderPass.js';
import { SSAOPass } from 'three/addons/postprocessing/SSAOPass.js';
import { OutlinePass } from 'three/addons/postprocessing/OutlinePass.js';
import { CSS3DRenderer, CSS3DObject } from 'three/addons/renderers/CSS3DRenderer.js';
import { interval, scan, take, mergeMap, of, delay } from 'rxjs';

export function gallery(canvas, items) {
  const renderer = new THREE.WebGLRenderer({ canvas });
  const scene = new THREE.Scene();
  const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 1000);
  const mesh = new THREE.InstancedMesh(new THREE.BoxGeometry(), new THREE.MeshStandardMaterial(), items.length);
  scene.add(mesh);
  const composer = new EffectComposer(renderer);
  composer.addPass(new RenderPass(scene, camera));
  composer.addPass(new SSAOPass(scene, camera, 512, 512));
  composer.addPass(new OutlinePass(new THREE.Vector2(512, 512), scene, camera));
  const css = new CSS3DRenderer();
  for (const item of items) scene.add(new CSS3DObject(item.label));
  interval(100).pipe(take(items.length), mergeMap((i) => of(i).pipe(delay(5))), scan((n) => n + 1, 0)).subscribe((n) => {
    mesh.setMatrixAt(n - 1, new THREE.Matrix4().makeTranslation(n % 10, Math.floor(n / 10), 0));
    mesh.instanceMatrix.needsUpdate = true;
    composer.render();
    css.render(scene, camera);
  });
}
