/**
 * The real photographs the detection-quality benchmark is built from: every file comes from a Debian
 * package (installed with apt-get, never downloaded at run time) or from the UKBench photos bundled in
 * test/fixtures/imagededup. Package, author and license are recorded so the report can cite them;
 * the benchmark itself is generated locally into out/ and never committed.
 *
 * `original` photos get transformed copies (one ground-truth group each); `distractor` photos get no
 * copies and are chosen to look like some originals (night skies, dusk lakes, mountains, flowers,
 * green close-ups) or to be abstract wallpapers, so a threshold that is too low shows up as false pairs.
 */
import { join } from 'node:path';

export type SourceRole = 'original' | 'distractor';

export interface PhotoSource {
  /** Short stable name, used in file names and ground truth. */
  name: string;
  path: string;
  /** Debian package that ships the file, or `fixture` for the repo's UKBench copies. */
  pkg: string;
  author: string;
  license: string;
  role: SourceRole;
  /** Look-alike family, to read false pairs in the report. */
  theme: string;
}

const PLASMA = (dir: string) => `/usr/share/wallpapers/${dir}/contents/images/2560x1600.jpg`;
const BG = '/usr/share/backgrounds';
const UKBENCH_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'imagededup', 'base_images');

function plasma(name: string, author: string, role: SourceRole, theme: string, license = 'LGPL-3.0'): PhotoSource {
  return { name: `plasma-${name}`, path: PLASMA(name), pkg: 'plasma-workspace-wallpapers', author, license, role, theme };
}
function lomiri16(file: string, author: string, license: string, role: SourceRole, theme: string): PhotoSource {
  const name = 'lomiri-' + file.split('_by_')[0];
  return { name, path: `${BG}/${file}`, pkg: 'lomiri-wallpapers-16.04', author, license, role, theme };
}
function lomiri20(file: string, author: string, role: SourceRole, theme: string): PhotoSource {
  const name = 'lomiri-' + file.split('_by_')[0];
  return { name, path: `${BG}/${file}`, pkg: 'lomiri-wallpapers-20.04', author, license: 'CC-BY-SA-3.0', role, theme };
}
function mate(sub: string, file: string, author: string, role: SourceRole, theme: string, license = 'GPL-2.0+'): PhotoSource {
  return { name: `mate-${file.replace(/\.\w+$/, '')}`, path: `${BG}/mate/${sub}/${file}`, pkg: 'mate-backgrounds', author, license, role, theme };
}
function gnome(file: string, theme: string): PhotoSource {
  return { name: `gnome-${file.replace(/\.\w+$/, '')}`, path: `${BG}/gnome/${file}`, pkg: 'gnome-backgrounds', author: 'GNOME design team', license: 'CC-BY-SA-3.0', role: 'distractor', theme };
}
function ukui(file: string, theme: string): PhotoSource {
  return { name: `ukui-${file.replace(/\.\w+$/, '')}`, path: `${BG}/${file}`, pkg: 'ukui-wallpapers', author: 'UKUI team', license: 'CC-BY-SA-3.0', role: 'distractor', theme };
}

const UKBENCH = ['00120', '01380', '08976', '08996', '09012', '09040', '09060', '09268', '09348', '09380'];

/** All sources, in a fixed order (the builder's seed depends on names, not on this order). */
export const SOURCES: PhotoSource[] = [
  // --- originals: photographs that get transformed copies ---
  plasma('BytheWater', 'Maciej Wiklo', 'original', 'water-dusk'),
  plasma('ColdRipple', 'Risto Saukonpää', 'original', 'water-dusk'),
  plasma('ColorfulCups', 'Dmitri Popov', 'original', 'objects'),
  plasma('DarkestHour', 'Risto Saukonpää', 'original', 'night'),
  plasma('EveningGlow', 'Ian Hex', 'original', 'water-dusk'),
  plasma('FallenLeaf', 'Martin Klapetek', 'original', 'leaves'),
  plasma('Grey', 'Sigi Sagi', 'original', 'abstract-photo'),
  plasma('Kite', 'Risto Saukonpää', 'original', 'sky'),
  plasma('OneStandsOut', 'Risto Saukonpää', 'original', 'green'),
  plasma('Path', 'Risto Saukonpää', 'original', 'forest'),
  lomiri16('Bridge_by_Sander_Klootwijk.jpg', 'Sander Klootwijk', 'CC-BY-SA-4.0', 'original', 'sky'),
  lomiri16('Dragonfly_by_Bolly.jpg', 'Bolly', 'CC-BY-SA-4.0', 'original', 'green'),
  lomiri16('Picture_0B_by_freespace.jpg', 'Trevor "Freespace"', 'CC-BY-4.0', 'original', 'objects'),
  lomiri16('Picture_1A_by_freespace.jpg', 'Trevor "Freespace"', 'CC-BY-4.0', 'original', 'objects'),
  lomiri16('Wine_by_Jakkub_Mede.jpg', 'Jakub Mede', 'CC-BY-4.0', 'original', 'objects'),
  lomiri16('aitzgorri_by_Aitzol_Berasategi.jpg', 'Aitzol Berasategi', 'CC-BY-4.0', 'original', 'mountain'),
  lomiri16('free_by_Peter_Nerlich.jpg', 'Peter Nerlich', 'CC-BY-SA-4.0', 'original', 'objects'),
  lomiri16('friends_by_Aitzol_Berasategi.jpg', 'Aitzol Berasategi', 'CC-BY-4.0', 'original', 'animals'),
  lomiri16('life_by_Aitzol_Berasategi.jpg', 'Aitzol Berasategi', 'CC-BY-4.0', 'original', 'forest'),
  lomiri16('seeding_by_Clements_Engelhardt.jpg', 'Clemens Engelhardt', 'CC0-1.0', 'original', 'flower'),
  lomiri16('sunset_by_Aitzol_Berasategi.jpg', 'Aitzol Berasategi', 'CC-BY-4.0', 'original', 'mountain'),
  lomiri20('Infinite-Sea_by_Aury88.jpg', 'Aury88', 'original', 'night'),
  lomiri20('Kleiber_by_Lukas_Baubkus.jpg', 'Lukas Baubkus', 'original', 'animals'),
  mate('nature', 'FreshFlower.jpg', 'Jens Ansorg', 'original', 'flower'),
  mate('nature', 'LadyBird.jpg', 'Charles Barbin', 'original', 'flower'),
  mate('nature', 'Storm.jpg', 'Sergey Nazarov', 'original', 'sky'),
  mate('nature', 'Aqua.jpg', 'Charles Barbin', 'original', 'water-dusk'),
  ...UKBENCH.map(
    (n): PhotoSource => ({
      name: `ukbench${n}`,
      path: join(UKBENCH_DIR, `ukbench${n}.jpg`),
      pkg: 'fixture (imagededup test data, UKBench photos)',
      author: 'UKBench (Nistér & Stewénius), via imagededup',
      license: 'Apache-2.0 (imagededup test data)',
      role: 'original',
      theme: 'objects',
    }),
  ),

  // --- distractors: no copies; look-alikes of the originals and abstract wallpapers ---
  plasma('summer_1am', 'Risto Saukonpää', 'distractor', 'water-dusk'),
  { ...plasma('MilkyWay', 'ruvkr', 'distractor', 'night', 'CC-BY-SA-4.0'), path: '/usr/share/wallpapers/MilkyWay/contents/images/5120x2880.png' },
  plasma('Autumn', 'RJ Quiralta', 'distractor', 'leaves'),
  { ...plasma('PastelHills', 'Lionel', 'distractor', 'abstract'), path: '/usr/share/wallpapers/PastelHills/contents/images/3200x2000.jpg' },
  lomiri16('picosdeeuropa_by_Aitzol_Berasategi.jpg', 'Aitzol Berasategi', 'CC-BY-4.0', 'distractor', 'mountain'),
  lomiri16('greentock_by_Peter_Nerlich.jpg', 'Peter Nerlich', 'CC-BY-SA-4.0', 'distractor', 'objects'),
  lomiri16('analogpattern_by_Peter_Nerlich.jpg', 'Peter Nerlich', 'CC-BY-SA-4.0', 'distractor', 'green'),
  lomiri16('umang_by_Abhishek_Mudgal.jpg', 'Abhishek Mudgal', 'CC-BY-4.0', 'distractor', 'abstract'),
  lomiri20('Fossa_by_Jasper_Roks.jpg', 'Jasper Roks', 'distractor', 'abstract'),
  lomiri20('Painting-Colors_by__herobrine7gamer.jpg', 'HEROBRINE7GAMER', 'distractor', 'abstract'),
  mate('nature', 'Garden.jpg', 'Charles Barbin', 'distractor', 'flower'),
  mate('nature', 'YellowFlower.jpg', 'Charles Barbin', 'distractor', 'flower'),
  mate('nature', 'TwoWings.jpg', 'Charles Barbin', 'distractor', 'flower'),
  mate('nature', 'GreenMeadow.jpg', 'Timothy Schellhase', 'distractor', 'green'),
  mate('nature', 'Blinds.jpg', 'Lennart Poettering', 'distractor', 'green'),
  mate('nature', 'RainDrops.jpg', 'blackcombwhistler07', 'distractor', 'green'),
  mate('nature', 'Wood.jpg', 'Jean-François Fortin Tam', 'distractor', 'abstract-photo'),
  mate('nature', 'Dune.jpg', 'Marco Cogoni', 'distractor', 'green'),
  mate('desktop', 'Ubuntu-Mate-Cold-no-logo.png', 'Goce Mitevski', 'distractor', 'night', 'CC-BY-SA-4.0'),
  mate('abstract', 'Elephants.jpg', 'Wyng Stancikaite', 'distractor', 'abstract'),
  gnome('adwaita-d.webp', 'abstract'),
  gnome('truchet-d.webp', 'abstract'),
  gnome('wood-d.webp', 'abstract'),
  gnome('pixels-l.webp', 'abstract'),
  gnome('licorice-l.webp', 'abstract'),
  ukui('calla.png', 'abstract'),
  ukui('city.png', 'abstract'),
  ukui('desert.png', 'abstract'),
  ukui('string.jpg', 'abstract'),
  ukui('the-mouse.jpg', 'night'),
  ukui('goldfish.png', 'abstract'),
  ukui('rhythm.jpg', 'abstract'),
];

/** Debian packages the benchmark needs (`apt-get install` them before `npm run eval`). */
export const REQUIRED_PACKAGES = [
  'plasma-workspace-wallpapers',
  'lomiri-wallpapers-16.04',
  'lomiri-wallpapers-20.04',
  'mate-backgrounds',
  'gnome-backgrounds',
  'ukui-wallpapers',
];
