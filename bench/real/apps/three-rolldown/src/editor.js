// The scene editor: transform gizmos, exporters and geometry tools, with an rxjs undo history.
import * as THREE from 'three';
import { TransformControls } from 'three/addons/controls/TransformControls.js';
import { GLTFExporter } from 'three/addons/exporters/GLTFExporter.js';
import { OBJExporter } from 'three/addons/exporters/OBJExporter.js';
import { STLExporter } from 'three/addons/exporters/STLExporter.js';
import { ConvexGeometry } from 'three/addons/geometries/ConvexGeometry.js';
import { TextGeometry } from 'three/addons/geometries/TextGeometry.js';
import * as BufferGeometryUtils from 'three/addons/utils/BufferGeometryUtils.js';
import { Subject, scan, startWith, shareReplay, firstValueFrom } from 'rxjs';

export function editor(canvas, font) {
  const renderer = new THREE.WebGLRenderer({ canvas });
  const scene = new THREE.Scene();
  const camera = new THREE.OrthographicCamera(-5, 5, 5, -5, 0.1, 100);
  const gizmo = new TransformControls(camera, canvas);
  scene.add(gizmo.getHelper());
  const edits = new Subject();
  const history = edits.pipe(scan((h, e) => [...h, e], []), startWith([]), shareReplay(1));
  const text = new TextGeometry('jobslot', { font, size: 1, depth: 0.2 });
  const hull = new ConvexGeometry(Array.from({ length: 50 }, (_, i) => new THREE.Vector3(Math.sin(i), Math.cos(i * 2), Math.sin(i * 3))));
  scene.add(new THREE.Mesh(BufferGeometryUtils.mergeGeometries([text, hull].map((g) => g.toNonIndexed())), new THREE.MeshNormalMaterial()));
  gizmo.addEventListener('objectChange', () => edits.next(gizmo.object?.matrix.clone()));
  renderer.render(scene, camera);
  return {
    history: () => firstValueFrom(history),
    gltf: () => new GLTFExporter().parseAsync(scene),
    obj: () => new OBJExporter().parse(scene),
    stl: () => new STLExporter().parse(scene, { binary: true }),
  };
}
