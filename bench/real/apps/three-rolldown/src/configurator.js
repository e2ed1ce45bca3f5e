// The configurator: a model, its materials and lights, driven by rxjs streams of the user's choices.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { RoomEnvironment } from 'three/addons/environments/RoomEnvironment.js';
import { BehaviorSubject, combineLatest, fromEvent, debounceTime, map, distinctUntilChanged, switchMap, from } from 'rxjs';

export function configurator(canvas, url) {
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true });
  const scene = new THREE.Scene();
  scene.environment = new THREE.PMREMGenerator(renderer).fromScene(new RoomEnvironment()).texture;
  const camera = new THREE.PerspectiveCamera(40, 1, 0.1, 100);
  const controls = new OrbitControls(camera, canvas);
  const color$ = new BehaviorSubject('#ff0000');
  const finish$ = new BehaviorSubject(0.5);
  const model$ = from(new GLTFLoader().loadAsync(url));
  combineLatest([model$, color$.pipe(distinctUntilChanged()), finish$.pipe(debounceTime(16))]).subscribe(([gltf, color, roughness]) => {
    gltf.scene.traverse((o) => { if (o.isMesh) o.material = new THREE.MeshPhysicalMaterial({ color, roughness, clearcoat: 1 }); });
    scene.add(gltf.scene);
  });
  fromEvent(window, 'resize').pipe(map(() => [innerWidth, innerHeight]), switchMap(async ([w, h]) => renderer.setSize(w, h))).subscribe();
  renderer.setAnimationLoop(() => { controls.update(); renderer.render(scene, camera); });
  return { color$, finish$ };
}
