/**
 * Pinned data sources for `npm run data` (see docs/data.md).
 *
 * Every .deb is pinned by exact version and SHA-256 of the .deb file as served by
 * Debian bookworm (observed 2025 when this list was written). If Debian ever
 * ships a new revision, the download will fail loudly instead of silently
 * changing the training data; update the version + checksum here deliberately.
 */

export interface DebSource {
  /** Debian binary package name. */
  name: string;
  /** Exact version passed to `apt-get download name=version`. */
  version: string;
  /** Architecture part of the .deb file name. */
  arch: string;
  /** SHA-256 of the .deb file. */
  sha256: string;
}

export const DEBS = {
  'lomiri-wallpapers-16.04': {
    name: 'lomiri-wallpapers-16.04',
    version: '20.04.0-2',
    arch: 'all',
    sha256: 'a99ff6a3bfe451e4cc0682ecb3cc82e71740626d59e4845ae34a0a0e45421eab',
  },
  'lomiri-wallpapers-20.04': {
    name: 'lomiri-wallpapers-20.04',
    version: '20.04.0-2',
    arch: 'all',
    sha256: 'd44e89b8473aafe64a5b678f014862dc31335aaaf18665c544d985d854f1a709',
  },
  'mate-backgrounds': {
    name: 'mate-backgrounds',
    version: '1.26.0-1',
    arch: 'all',
    sha256: '7bf4c2209f34b4f61ba6d24c8b58c28b361e82e4b943aae6d42c030169af9e04',
  },
  'plasma-workspace-wallpapers': {
    name: 'plasma-workspace-wallpapers',
    version: '4:5.27.5-2',
    arch: 'all',
    sha256: '32cd18b71c8c938a18b3b351f217c02ac590e323caa3cf322fbb875ce8892f8b',
  },
  'lxqt-themes': {
    name: 'lxqt-themes',
    version: '1.2.0-1',
    arch: 'all',
    sha256: 'd518df36b515b09d36cb00b12645dd8ce170bb82bb0966297741905ce3edc8e1',
  },
  'enlightenment-data': {
    name: 'enlightenment-data',
    version: '0.25.4-2',
    arch: 'all',
    sha256: '205df83b80b3a999757b07d7ad1908332c96c6edae559548346bc8af4f292bef',
  },
  'python3-skimage': {
    name: 'python3-skimage',
    version: '0.19.3-8',
    arch: 'all',
    sha256: '728d88c3e3440f1f3712de0805dc834d29248ff07e1eec8c0f3da07606f752f9',
  },
  'python3-scipy': {
    name: 'python3-scipy',
    version: '1.10.1-2',
    arch: 'amd64',
    sha256: '75175eb18aa9ef6424c69050a751335fe686c24b65bc1773d0769a74a21c869d',
  },
  'gnome-user-docs': {
    name: 'gnome-user-docs',
    version: '43.0-2',
    arch: 'all',
    sha256: '0d635a840747958ca84da778b40d341f1155603851f922c9a171f5a181d6a39f',
  },
} as const satisfies Record<string, DebSource>;

export type DebName = keyof typeof DEBS;

export function debFileName(d: DebSource): string {
  // apt-get download encodes an epoch colon as %3a (plasma-workspace-wallpapers has epoch 4).
  return `${d.name}_${d.version.replace(/:/g, '%3a')}_${d.arch}.deb`;
}

export interface PhotoSource {
  /** Output base name (lower case, no extension); also the sort key for the split. */
  id: string;
  deb: DebName;
  /** Path inside the package (relative to the dpkg -x root): a JPEG or a PNG, or an EET container. */
  path: string;
  /** For an EET container (Enlightenment's .edj themes): the entry that holds the photo as a JPEG. */
  eetEntry?: string;
  /**
   * Photos are split within their batch (sorted by id, every VAL_EVERY-th to validation), so
   * adding a batch never moves an earlier photo between training and validation.
   */
  batch: 1 | 2 | 3;
  /** SPDX-style licence identifier, as stated in the package's debian/copyright. */
  licence: string;
  /** Copyright line from debian/copyright. */
  copyright: string;
}

const LOMIRI_DIR = 'usr/share/backgrounds';
const MATE_DIR = 'usr/share/backgrounds/mate/nature';

function lomiri(deb: DebName, file: string, licence: string, copyright: string): PhotoSource {
  return { id: file.replace(/\.jpg$/i, '').toLowerCase(), deb, path: `${LOMIRI_DIR}/${file}`, batch: 1, licence, copyright };
}
function mate(file: string, copyright: string): PhotoSource {
  return {
    id: file.replace(/\.jpg$/i, '').toLowerCase(),
    deb: 'mate-backgrounds',
    path: `${MATE_DIR}/${file}`,
    batch: 1,
    licence: 'GPL-2+',
    copyright,
  };
}
/** The largest size of a Plasma wallpaper (the smaller files beside it are resized copies). */
function plasma(name: string, author: string): PhotoSource {
  return {
    id: `plasma-${name.toLowerCase()}`,
    deb: 'plasma-workspace-wallpapers',
    path: `usr/share/wallpapers/${name}/contents/images/2560x1600.jpg`,
    batch: 2,
    licence: 'LGPL-3.0 (metadata.json); GPL-2+ (debian/copyright)',
    copyright: author,
  };
}
function lxqt(file: string, copyright: string): PhotoSource {
  return {
    id: `lxqt-${file.replace(/\.(jpg|png)$/i, '').toLowerCase()}`,
    deb: 'lxqt-themes',
    path: `usr/share/lxqt/wallpapers/${file}`,
    batch: 2,
    licence: 'CC-BY-SA-3.0 (wallpapers/License); LGPL-2.1+ (debian/copyright)',
    copyright,
  };
}

/**
 * Enlightenment's 3840×2160 background photos: each .edj theme holds the photo as its first
 * and largest image entry, a JPEG at quality ~100 (quantiser tables of ones). Five other
 * backgrounds of the package are renders or patterns and are left out (Dunes, Flat-Fan,
 * Flat-Stone-Pattern, Paper-Flower, Sunset-Hills).
 */
function enlightenment(name: string): PhotoSource {
  return {
    id: `e-${name.toLowerCase()}`,
    deb: 'enlightenment-data',
    path: `usr/share/enlightenment/data/backgrounds/${name}.edj`,
    eetEntry: 'edje/images/0',
    batch: 3,
    licence: 'BSD-2-clause (debian/copyright, Files: *)',
    copyright: '2000-2020 Carsten Haitzler and various contributors',
  };
}

/**
 * Training/validation photos. lomiri-wallpapers-16.04 ships 15 JPEGs; two of them are not
 * photographs and are deliberately left out: analogpattern_by_Peter_Nerlich.jpg (synthetic
 * grain texture) and umang_by_Abhishek_Mudgal.jpg (abstract colour gradient).
 * From lomiri-wallpapers-20.04 only the Kleiber photo is used (the others are renders).
 */
export const PHOTOS: PhotoSource[] = [
  // lomiri-wallpapers-16.04 (13 photos)
  lomiri('lomiri-wallpapers-16.04', 'aitzgorri_by_Aitzol_Berasategi.jpg', 'CC-BY-4.0', 'Aitzol Berasategi, 2018'),
  lomiri('lomiri-wallpapers-16.04', 'Bridge_by_Sander_Klootwijk.jpg', 'CC-BY-SA-4.0', '2018. Sander Klootwijk'),
  lomiri('lomiri-wallpapers-16.04', 'Dragonfly_by_Bolly.jpg', 'CC-BY-SA-4.0', '"Bolly", 2018'),
  lomiri('lomiri-wallpapers-16.04', 'free_by_Peter_Nerlich.jpg', 'CC-BY-SA-4.0', 'Peter Nerlich, 2018'),
  lomiri('lomiri-wallpapers-16.04', 'friends_by_Aitzol_Berasategi.jpg', 'CC-BY-4.0', 'Aitzol Berasategi, 2018'),
  lomiri('lomiri-wallpapers-16.04', 'greentock_by_Peter_Nerlich.jpg', 'CC-BY-SA-4.0', 'Peter Nerlich, 2018'),
  lomiri('lomiri-wallpapers-16.04', 'life_by_Aitzol_Berasategi.jpg', 'CC-BY-4.0', 'Aitzol Berasategi, 2018'),
  lomiri('lomiri-wallpapers-16.04', 'picosdeeuropa_by_Aitzol_Berasategi.jpg', 'CC-BY-4.0', 'Aitzol Berasategi, 2018'),
  lomiri('lomiri-wallpapers-16.04', 'Picture_0B_by_freespace.jpg', 'CC-BY-4.0', 'Trevor "Freespace", 2018'),
  lomiri('lomiri-wallpapers-16.04', 'Picture_1A_by_freespace.jpg', 'CC-BY-4.0', 'Trevor "Freespace", 2018'),
  lomiri('lomiri-wallpapers-16.04', 'seeding_by_Clements_Engelhardt.jpg', 'CC0-1.0', 'Clemens Engelhardt, 2018'),
  lomiri('lomiri-wallpapers-16.04', 'sunset_by_Aitzol_Berasategi.jpg', 'CC-BY-4.0', 'Aitzol Berasategi, 2018'),
  lomiri('lomiri-wallpapers-16.04', 'Wine_by_Jakkub_Mede.jpg', 'CC-BY-4.0', 'Jakub Mede, 2018'),
  // lomiri-wallpapers-20.04 (1 photo)
  lomiri('lomiri-wallpapers-20.04', 'Kleiber_by_Lukas_Baubkus.jpg', 'CC-BY-SA-3.0', '2021, Lukas Baubkus'),
  // mate-backgrounds nature/ (12 photos)
  mate('Aqua.jpg', '2008, Charles Barbin'),
  mate('Blinds.jpg', '2008, Lennart Poettering'),
  mate('Dune.jpg', '2007, Marco Cogoni'),
  mate('FreshFlower.jpg', '2005, Jens Ansorg'),
  mate('Garden.jpg', '2008, Charles Barbin'),
  mate('GreenMeadow.jpg', '2005, Timothy Schellhase'),
  mate('LadyBird.jpg', '2008, Charles Barbin'),
  mate('RainDrops.jpg', '2008, "blackcombwhistler07"'),
  mate('Storm.jpg', '2008, Sergey Nazarov'),
  mate('TwoWings.jpg', '2008, Charles Barbin'),
  mate('Wood.jpg', '2008, Jean-François Fortin Tam'),
  mate('YellowFlower.jpg', '2008, Charles Barbin'),
  // Batch 2. plasma-workspace-wallpapers: its 11 photographs (the other 19
  // wallpapers are renders or illustrations); Grey is a greyscale JPEG.
  plasma('BytheWater', 'Maciej Wiklo'),
  plasma('ColdRipple', 'Risto Saukonpää'),
  plasma('ColorfulCups', 'Dmitri Popov'),
  plasma('DarkestHour', 'Risto Saukonpää'),
  plasma('EveningGlow', 'Ian Hex'),
  plasma('FallenLeaf', 'Martin Klapetek'),
  plasma('Grey', 'Sigi Sagi'),
  plasma('Kite', 'Risto Saukonpää'),
  plasma('OneStandsOut', 'Risto Saukonpää'),
  plasma('Path', 'Risto Saukonpää'),
  plasma('summer_1am', 'Risto Saukonpää'),
  // lxqt-themes: its 10 photographs (the rest are logos and renders), leaving out
  // Butterfly-Kenneth-Wimer.jpg, a photo too heavily JPEG-compressed (0.32 bits per pixel).
  lxqt('after-the-rain.jpg', 'stefonarch'),
  lxqt('appleflower.png', 'stefonarch'),
  lxqt('beam.png', 'stefonarch'),
  lxqt('butterfly.png', 'stefonarch'),
  lxqt('cloud.png', '2022 LXQt Project Team'),
  lxqt('drop.png', 'stefonarch'),
  lxqt('flowers.png', 'stefonarch'),
  lxqt('fog.jpg', 'stefonarch'),
  lxqt('this-is-not-windows.jpg', 'stefonarch'),
  lxqt('Valendas.png', '2022 LXQt Project Team'),
  ...['Bamboo', 'Foggy-Trees', 'God-Rays', 'Green-Maple', 'Lichen-Branches', 'Mountain', 'Peaks', 'Red-Maple', 'Sea-of-Lanterns', 'Snow-Trees', 'Spruce-Needles', 'Sunset-Clouds', 'White-Flower', 'Yellow-Flower'].map(enlightenment),
];

/** Box-downscale factor applied to every JPEG photo. */
export const DOWNSCALE = 4;
/**
 * Further downscales of the training photos only, each in its own folder (train-x2/, train-x3/):
 * more pixels for GPU training, at scales where JPEG's 8×8 blocks and chroma subsampling are
 * still mostly averaged away. Validation stays at DOWNSCALE, so its numbers stay comparable.
 */
export const TRAINING_DOWNSCALES = [2, 3];
/** In the id-sorted photo list, index i goes to validation when i % VAL_EVERY === VAL_EVERY - 1. */
export const VAL_EVERY = 6;
/** Patch size used for the patch-count summary. */
export const PATCH = 32;

/**
 * Expected SHA-256 of each output PPM (jpeg-js 0.4.4 decode, or vdmzip's PNG decoder, + 4x box downscale).
 * A mismatch only warns (a different jpeg-js version may decode slightly differently);
 * the .deb checksums above are the hard guarantee.
 */
export const PHOTO_OUTPUT_SHA256: Record<string, string> = {
  "aitzgorri_by_aitzol_berasategi": "ff60472050fae76c1bd22acc56f7adb838894824450b3a4756a32670ea77635d",
  "aqua": "673cf3b99b77ac8083947dbc67cf7d613a6edfa65ebe503c25436d69c4cbd42e",
  "blinds": "2cd4a14c0882179de78b90bd486c4bc3b0f31bae708288e8173ed4e99ed64902",
  "bridge_by_sander_klootwijk": "1a468a0a275ce3390c77a02780b36612c52270a1db4a359e0fae13acb90781ba",
  "dragonfly_by_bolly": "155a746958859ea3bc0a1c39beb02f33eef1f7c0cb0962870507fef423ca6e61",
  "dune": "bf39840da96d5917622d1c03b3e78dd86bd3916ef3c7f8f8427762274e498f79",
  "free_by_peter_nerlich": "7875895aec9b3c141497f53dcc9a7d373bd34ed8684e8021610005ce2490d380",
  "freshflower": "2e722fa9b414e8aadad90a0128f6c87c486caaa84bdfb717e535e8c8d44d32dc",
  "friends_by_aitzol_berasategi": "25d0b8430eb0a941d1b9028fa15d75bfde8ac482797bf97dacd4d14d5f239793",
  "garden": "cbadead770429c81c9382634a4fb88344b9e7ba0bf2dd0cbc41fdd078ffc3b3b",
  "greenmeadow": "8300056e2cb45bbce12256890a692130be686554774ecccd378074d4742adc4f",
  "greentock_by_peter_nerlich": "d5d43cfc604e11a9685a6aaa60c46e63ec73de6777a5e6202abbae1162c5a1f4",
  "kleiber_by_lukas_baubkus": "7c094b89cde811dda01d05efe3c97c1ba72062d8a26ce3362dd5ead369d82779",
  "ladybird": "0aaa0a76f261db4de94c1d3e9b329fdcec4818fe5a13c3fd2e06af141973a91b",
  "life_by_aitzol_berasategi": "4a0d6ef6f54924f9b06471570699f33d2b1905a1cf76ebb7b1c32a0a59dce439",
  "lxqt-after-the-rain": "d96f43ec7c46afb74c12a2fdc6557d404e93e2c17ff22761a776cc524ffaa89e",
  "lxqt-appleflower": "c410284bc86f183cf1225e08c13e1e4c9a4972d592ff0bc3511aff0028f7252e",
  "lxqt-beam": "e8ebda0e640c6e2e712126cb80b8fdfe19d87233286613207b19a9452e6b5bfe",
  "lxqt-butterfly": "0d2af3d2dd2aaca36eb980a133401506a3c86b7769b895f56a76b254035a4e43",
  "lxqt-cloud": "aa8348496d11cfd8ca31aeb71307492ec2315b463145357768d5a7b4fc530641",
  "lxqt-drop": "864f8e4be7d236f267099aec31e5d7d7c8f54893b49a232a58a9bd386b93863c",
  "lxqt-flowers": "e34f56197370b448d58e689c3f0efe9fb59cff97b896c6860bf8616912891ee5",
  "lxqt-fog": "1633d8b02136edf277a364c20c10ed4ebeffc13b6d06288f25e1e555a5197319",
  "lxqt-this-is-not-windows": "dff72646a3f53ed5a425973ef26b417b6b0ce1d451c67640340633493f1992b5",
  "lxqt-valendas": "9c675d7a0bdbe032fed772cd86dd14b26faa27bbe1e34792ac01561a123ec189",
  "picosdeeuropa_by_aitzol_berasategi": "0280940164652a7a9a876a0ecacddede767d4554b61d11ffa8367ed827428ac9",
  "picture_0b_by_freespace": "481a8fc2cb0ac3185fd7b885709918666760a6d9d0639ad59589d3587e1fa60d",
  "picture_1a_by_freespace": "1e9e0473e1dc389228d22fcccbb3c06aa4685a4f7d0de6f447947eca23aa0181",
  "plasma-bythewater": "6ea2de478b69407fada4bcb2b974bde359c237a9bc05fac813bbac10dbabeff1",
  "plasma-coldripple": "1d315ba2b549f6ea92983bdc6fc94393757cf98af3b0afc3a221374ea1351148",
  "plasma-colorfulcups": "d159714b6777a905532553afbcc945a3116b3650738e8d1422a50f367cab6988",
  "plasma-darkesthour": "899fc40873148259a572f8f9719a1f40bda30de0fdf503ff0348093bb8fc8432",
  "plasma-eveningglow": "9da1d7525d952a2142788a98755115823a87b220a77ebdf194a4a0f267a3cb7a",
  "plasma-fallenleaf": "e21fcab703dc4e46bcc19f5400adf2a423d5c206e854d6cc632997d7cb8337c2",
  "plasma-grey": "391ac46d2dc9de52b14db32a8ed9c6cea41c8bd5034a5fb84e7e8a6afd5f8270",
  "plasma-kite": "6bdd1e86972bb58b975603191ebdbd224a9820d1eeccc197fc741cf775acf0b5",
  "plasma-onestandsout": "dd5db712e19b15aa46ec976e87de55d6cdad9178bca8a9e0e4f18d2b1397b8f5",
  "plasma-path": "7122921af9ec2e85f427f403b1461439754c03816bcee46ec9295fa07ff79c07",
  "plasma-summer_1am": "bf8c0aa9ed017ae470b289a7e706f84d1720e8d53abed09b2f99907257bb2056",
  "raindrops": "d5620153706197a507b5fcaffd9a7fe19778ae0dde185ae095a9466a97775c0c",
  "seeding_by_clements_engelhardt": "dbf46ab2957c4ed5d822793d301d7619d77552fee9f05fa2e2382397f4b7cb00",
  "storm": "fed6cf02c380f15cccb623333c8e7dd701d5cfb99ebe4374d604c07405ccf786",
  "sunset_by_aitzol_berasategi": "972f7a71f3201c7f83a01a806ff5f67b4d0be3b4d9612707f992defede756d0c",
  "twowings": "8c92463ebe9e02c0328a82b5fdb6ff0caa867a159bdbfb60a8f75f32518f7ac7",
  "wine_by_jakkub_mede": "802381b44cc4a33ed53900ac269c5685ea7dd4defa05746c5e825941c1e29bd9",
  "wood": "88f1b3b86e1a0f84a61bbbca1e3977020467ec5e462cfd384280b843844200fa",
  "yellowflower": "d7581ba22d26f885d5470b3ae48e13f67594fe0dd32e3cdfcfaae9210bf32614",
  "e-bamboo": "9d603d7c0b3fe3f476c9c8c68cbe5da597370737835618d52330515032d28b24",
  "e-foggy-trees": "d5ac4e47e47ed731c1d19a501e04383e2a1b2fd9fd53f08be73c349cd8aaa0a6",
  "e-god-rays": "dd5a975fbf5faf33dad94b977c3ded615d91a4f01f980ba1185727750cdea900",
  "e-green-maple": "7cc0553ae79e6f0cb38fbe6a2349009c64ad8df01a69b8b52c5cda6da0fa1c7f",
  "e-lichen-branches": "81b54241a40ce675ef72b48da9e2cba9fd00b3a3f413cf626440847f29010428",
  "e-mountain": "9badcea5b8f3d0da876a66597808f4ed42272ab52f998425dc696c27d0fbb07e",
  "e-peaks": "9c37167ac21ebad6ee1a15dcac58403b38e2195081763d706cf82fcf53ea7f17",
  "e-red-maple": "d056a4b04f2c82a676edba40ee7d5013dcff071e9a1a9e2b4bdb9c9c9a9a00b3",
  "e-sea-of-lanterns": "2abc0c744696bc805716c9ce61d0b3dee7043aa0c0e2b2862556e9765f8df5a4",
  "e-snow-trees": "a7aefd3026f788f9e9004e9ba0a7443df1b1e7d08329d4bf1de67381a407a5b3",
  "e-spruce-needles": "031956c889e9aef3148f44b091acbd20b07825b7595a09edb6ef4058d8d03e2c",
  "e-sunset-clouds": "12c541434125bdf7b1fda5263c9fcdef278e0a790268d4e1ff40890503c87163",
  "e-white-flower": "9a0633ee1bc651b2205f8d93166ff3243b69e3b4492183d2b01134ed6feff6db",
  "e-yellow-flower": "38bf9a31b29e0fd314c60fb53406a5d8678e43b639301bff4584d2729bf59f3b",
};

export interface FixtureSource {
  /** File name under fixtures/. */
  out: string;
  deb: DebName;
  path: string;
  /** 'copy': copy the 8-bit RGB PNG as-is; 'png': copy any PNG as-is; 'scipy-face': bunzip2 raw RGB 1024x768 -> binary PPM. */
  kind: 'copy' | 'png' | 'scipy-face';
  licence: string;
  /** SHA-256 of the file written under fixtures/. */
  sha256: string;
}

const SKIMAGE_DATA = 'usr/lib/python3/dist-packages/skimage/data';
const GNOME_HELP_FIGURES = 'usr/share/help/C/gnome-help/figures';
const GNOME_HELP_LICENCE = 'debian/copyright: "Files: *" Copyright (C) 2010 - 2014 Shaun McCance, License CC-BY-SA-3.0';
const SKIMAGE_LICENCE =
  'debian/copyright: "Files: *" Copyright 2009-2018 the scikit-image team, License BSD-3-Clause';

export const FIXTURES: FixtureSource[] = [
  {
    out: 'astronaut.png',
    deb: 'python3-skimage',
    path: `${SKIMAGE_DATA}/astronaut.png`,
    kind: 'copy',
    licence: `${SKIMAGE_LICENCE}; skimage.data.astronaut docstring: "No known copyright restrictions, released into the public domain."`,
    sha256: '88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5',
  },
  {
    out: 'chelsea.png',
    deb: 'python3-skimage',
    path: `${SKIMAGE_DATA}/chelsea.png`,
    kind: 'copy',
    licence: `${SKIMAGE_LICENCE}; skimage.data.chelsea docstring: "No copyright restrictions.  CC0 by the photographer (Stefan van der Walt)."`,
    sha256: '596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb',
  },
  {
    out: 'coffee.png',
    deb: 'python3-skimage',
    path: `${SKIMAGE_DATA}/coffee.png`,
    kind: 'copy',
    licence: `${SKIMAGE_LICENCE}; skimage.data.coffee docstring: "No copyright restrictions.  CC0 by the photographer (Rachel Michetti)."`,
    sha256: 'cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7',
  },
  {
    out: 'motorcycle_left.png',
    deb: 'python3-skimage',
    path: `${SKIMAGE_DATA}/motorcycle_left.png`,
    kind: 'copy',
    licence: `${SKIMAGE_LICENCE}; skimage.data.stereo_motorcycle docstring: Middlebury 2014 stereo benchmark image, no licence statement`,
    sha256: 'db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179',
  },
  {
    out: 'face.ppm',
    deb: 'python3-scipy',
    path: 'usr/lib/python3/dist-packages/scipy/misc/face.dat',
    kind: 'scipy-face',
    licence:
      'debian/copyright: "Files: *" Copyright 2003-2019 SciPy Developers et al., License BSD-3-clause; ' +
      'scipy.misc.face docstring: "raccoon-procyon-lotor.jpg at http://www.public-domain-image.com"',
    sha256: 'c7cc1969e17be168566b47afc69f8dddf04c5031008df2f041a270c80bee12f5',
  },
  // Screenshots and diagrams (the synthetic set): desktop screenshots, menus, a palette image
  // (screenshot-tool), diagrams with alpha (printing-select, color-space), a wide strip (shell-top-bar).
  {
    out: 'synthetic/printing-select.png',
    deb: 'gnome-user-docs',
    path: `${GNOME_HELP_FIGURES}/printing-select.png`,
    kind: 'png',
    licence: GNOME_HELP_LICENCE,
    sha256: '07b1837e618c91f853697d2dfa084a9248842827186f43b60555c77aa1a27a9d',
  },
  {
    out: 'synthetic/nautilus-icons.png',
    deb: 'gnome-user-docs',
    path: `${GNOME_HELP_FIGURES}/nautilus-icons.png`,
    kind: 'png',
    licence: GNOME_HELP_LICENCE,
    sha256: '9b6e5e042ad915fae0e70f606e45ba66f3039514ea94ef36d1b1648310edee10',
  },
  {
    out: 'synthetic/color-space.png',
    deb: 'gnome-user-docs',
    path: `${GNOME_HELP_FIGURES}/color-space.png`,
    kind: 'png',
    licence: GNOME_HELP_LICENCE,
    sha256: 'd39ba049f8c7a4c21f2e56f39613cbe31d677e46570abc2f525399a801049288',
  },
  {
    out: 'synthetic/shell-appmenu-classic.png',
    deb: 'gnome-user-docs',
    path: `${GNOME_HELP_FIGURES}/shell-appmenu-classic.png`,
    kind: 'png',
    licence: GNOME_HELP_LICENCE,
    sha256: '3a5a1ed929b34d8131fbb7f01ae5936e65f295b5db4e8e3c80788a16cdf36a75',
  },
  {
    out: 'synthetic/shell-exit.png',
    deb: 'gnome-user-docs',
    path: `${GNOME_HELP_FIGURES}/shell-exit.png`,
    kind: 'png',
    licence: GNOME_HELP_LICENCE,
    sha256: '73d1a031d97844f4d37fda4398e266c99c3f6b3587b12d9d107710d02c82c5ee',
  },
  {
    out: 'synthetic/input-methods-switcher.png',
    deb: 'gnome-user-docs',
    path: `${GNOME_HELP_FIGURES}/input-methods-switcher.png`,
    kind: 'png',
    licence: GNOME_HELP_LICENCE,
    sha256: '4f59beaecc9821b72bb21c0165be7cee5e5df6789f1851e72e110b588687e1a3',
  },
  {
    out: 'synthetic/shell-workspaces.png',
    deb: 'gnome-user-docs',
    path: `${GNOME_HELP_FIGURES}/shell-workspaces.png`,
    kind: 'png',
    licence: GNOME_HELP_LICENCE,
    sha256: '713572825fe34b2ce341624ce8377a8a0c07a91049b0e6dcfe6aed8a81914334',
  },
  {
    out: 'synthetic/screenshot-tool.png',
    deb: 'gnome-user-docs',
    path: `${GNOME_HELP_FIGURES}/screenshot-tool.png`,
    kind: 'png',
    licence: GNOME_HELP_LICENCE,
    sha256: '839f42b0ab4bba46ed0e005eab740972dde66495e4d57aeed1dcfb17cc2a6bff',
  },
  {
    out: 'synthetic/shell-top-bar.png',
    deb: 'gnome-user-docs',
    path: `${GNOME_HELP_FIGURES}/shell-top-bar.png`,
    kind: 'png',
    licence: GNOME_HELP_LICENCE,
    sha256: '68e76b8c6fd8250b7c869b1edc4d35bdce88db6e22fe3b3979bb0b3be98e40e8',
  },
];
